"""preview.png, preview_top.png and pack.stl: the pack drawn from the plan, rasterised in numpy,
written with zlib.

The pictures' triangles come straight from the plan's prisms and instance prototypes (no second
tessellation, no reading back the GLB: a third of the triangles, round edges as fine as the
picture needs), z-buffered in numpy (no display, no matplotlib), every part outlined where it
meets another or the background, and written as a deterministic PNG (no time chunk):

* ``preview.png``: isometric from the front-left corner, the lid off and the enclosure cut away,
  in three steps across the pack (``CUTAWAY``): behind the diagonal through its centre everything
  as built (busbars, fuse links and the top holder plate over the cells); in front of it the
  cells, coloured by module; in the nearest corner the cells, and what is under them, taken
  out down to the cold plate (or the floor). The walls nearer than the diagonal are cut away.
* ``preview_top.png``: from straight above, lid off, as built.

Keepouts are spaces for other parts: each is drawn as a ghost of its envelope (its outline from
the floor to the lid, translucent red), never as a hole. The STL is the GLB's triangles
(``glb._glb_triangles``) as binary STL.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from battgen.emit.cad.parts import Corner, Plan, _bounds

if TYPE_CHECKING:
    import numpy as np
    from shapely.geometry.base import BaseGeometry

PREVIEW_MARGIN = 20  # px of white around the pack
ISO_SIZE = (1000, 700)  # px
TOP_WIDTH = 1000  # px; the height follows the pack (within TOP_HEIGHTS)
TOP_HEIGHTS = (300, 800)
# The cutaway's steps, on the diagonal coordinate u = (x − x0)/w + (y − y0)/h of the cells' centres'
# extent (0 at the near corner, 2 at the far one): the top layer is drawn where u >= TOP_FROM,
# the cells and the parts under them where u >= CELLS_FROM, the walls where u >= TOP_FROM.
TOP_FROM = 1.0
CELLS_FROM = 0.45
GHOST_ALPHA = 0.3  # a keepout's ghost over what is behind it
GHOST_COLOUR = (0.70, 0.13, 0.13)
OUTLINE = 0.55  # an outline pixel's colour × this


@dataclass
class Scene:
    """Triangles (N, 3, 3) mm, RGB (N, 3) 0..1, the part each belongs to (N,) for outlines,
    and the keepouts' ghost triangles (M, 3, 3) drawn translucent."""

    triangles: np.ndarray
    colours: np.ndarray
    parts: np.ndarray
    ghosts: np.ndarray

    def __getitem__(self, i: int) -> np.ndarray:  # scene[0]: the triangles (as the STL reads a GLB's)
        return (self.triangles, self.colours, self.parts)[i]


def _view_axes(view: str = "iso") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(right, up, view) unit vectors: ``iso`` looks from (−x, −y, +z), ``top`` straight down."""
    import numpy as np

    if view == "top":
        return np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, -1.0])
    direction = np.array([1.0, 1.0, -1.0]) / math.sqrt(3)
    right = np.cross(direction, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    return right, np.cross(right, direction), direction


def _prism_triangles(
    poly: BaseGeometry, z0: float, z1: float, top_only: bool = False, bottom: bool = False
) -> np.ndarray:
    """Triangles (N, 3, 3) of a prism of ``poly`` (shapely, mm; holes allowed) from z0 to z1,
    each wound so its normal points out of the solid: the top face, and unless ``top_only``
    the sides. The bottom face only if asked: the preview looks down, a standing prism's
    bottom is never seen."""
    import numpy as np
    import shapely
    from shapely.geometry.polygon import orient

    out = []
    for part in shapely.get_parts(poly):
        part = orient(part, 1.0)  # exterior counter-clockwise, holes clockwise
        tri = shapely.get_coordinates(shapely.get_parts(shapely.constrained_delaunay_triangles(part)))
        tri = tri.reshape(-1, 4, 2)[:, :3]
        e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
        area = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
        tri = np.where((area < 0)[:, None, None], tri[:, ::-1], tri)  # counter-clockwise: normal +z
        out.append(np.concatenate([tri, np.full((len(tri), 3, 1), z1)], axis=2))
        if bottom:
            out.append(np.concatenate([tri[:, ::-1], np.full((len(tri), 3, 1), z0)], axis=2))
        if top_only:
            continue
        for ring in (part.exterior, *part.interiors):
            xy = np.asarray(ring.coords)
            a, b = xy[:-1], xy[1:]  # edge a → b; the solid is on its left, so (a, b, b', a') faces out
            lo_a, lo_b = np.column_stack([a, np.full(len(a), z0)]), np.column_stack([b, np.full(len(b), z0)])
            hi_a, hi_b = np.column_stack([a, np.full(len(a), z1)]), np.column_stack([b, np.full(len(b), z1)])
            out.append(np.stack([lo_a, lo_b, hi_b], axis=1))
            out.append(np.stack([lo_a, hi_b, hi_a], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 3, 3))


def _proto_triangles(proto: tuple, segments: int) -> np.ndarray:
    """Triangles of an instance prototype (as ``document._proto_solids`` writes it) with round edges as
    ``segments``-gons."""
    import numpy as np
    from shapely.geometry import Point, Polygon, box

    def disc(d: float) -> BaseGeometry:
        return Point(0, 0).buffer(d / 2, quad_segs=segments // 4)

    kind = proto[0]
    if kind == "cylinder":
        return _prism_triangles(disc(proto[1]), 0.0, proto[2], bottom=True)
    if kind == "box":
        _k, w, t, h = proto
        return _prism_triangles(box(-w / 2, -t / 2, w / 2, t / 2), 0.0, h, bottom=True)
    if kind == "tile":
        _k, coords, pocket, t = proto
        return _prism_triangles(Polygon(coords).difference(disc(2 * pocket)), 0.0, t, bottom=True)
    if kind == "wire":  # a cylinder along x, its bottom on z = 0: made along z, turned +90° about y
        _k, d, length = proto
        tri = _prism_triangles(disc(d), -length / 2, length / 2, bottom=True)
        return np.stack([tri[..., 2], tri[..., 1], d / 2 - tri[..., 0]], axis=-1)
    _k, w, t, length = proto  # strip
    return _prism_triangles(box(-length / 2, -w / 2, length / 2, w / 2), 0.0, t, bottom=True)


def _matrices(places: list[tuple[float, float, float, float, str]], extent: tuple[float, float, float]) -> np.ndarray:
    """4×4 placements of instances (numpy): the GLB's nodes' and pack.step's placements."""
    import numpy as np

    def move(v: tuple[float, float, float]) -> np.ndarray:
        m = np.eye(4)
        m[:3, 3] = v
        return m

    def turn(axis: str, degrees: float) -> np.ndarray:
        a = math.radians(degrees)
        c, s = math.cos(a), math.sin(a)
        m = np.eye(4)
        i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
        m[i, i], m[i, j], m[j, i], m[j, j] = c, -s, s, c
        return m

    out = np.empty((len(places), 4, 4))
    for k, (x, y, z, rot, axis) in enumerate(places):
        m = move((x, y, z))
        if rot:
            m = m @ turn("z", rot)
        if axis == "x":
            m = m @ move((0, 0, extent[0] / 2)) @ turn("y", 90) @ move((0, 0, -extent[2] / 2))
        elif axis == "y":
            m = m @ move((0, 0, extent[1] / 2)) @ turn("x", -90) @ move((0, 0, -extent[2] / 2))
        out[k] = m
    return out


@dataclass(frozen=True)
class _Cut:
    """The cutaway's diagonal coordinate over the cells' extent (mm): u = (x − x0)/w + (y − y0)/h,
    0 at the near corner of the isometric view, 2 at the far one."""

    x0: float
    y0: float
    w: float
    h: float

    def u(self, x: np.ndarray | float, y: np.ndarray | float) -> np.ndarray | float:
        return (x - self.x0) / self.w + (y - self.y0) / self.h

    def beyond(self, k: float) -> BaseGeometry:
        """The half-plane u >= k, as a polygon far larger than the pack."""
        import numpy as np
        from shapely.geometry import Polygon

        p1 = np.array([self.x0 + k * self.w, self.y0])
        p2 = np.array([self.x0, self.y0 + k * self.h])
        along = (p2 - p1) / np.linalg.norm(p2 - p1)
        normal = np.array([1 / self.w, 1 / self.h])
        normal /= np.linalg.norm(normal)
        reach = 10 * (self.w + self.h)
        ring = [p1 - reach * along, p2 + reach * along, p2 + reach * (along + normal), p1 + reach * (normal - along)]
        return Polygon([tuple(v) for v in ring])


def _cut_of(plan: Plan) -> _Cut:
    """The cutaway across the cells' extent (the enclosure's without cells): the steps fall
    across the cells wherever they stand in the envelope."""
    import numpy as np

    if plan.cells.places:
        xy = np.array([p[:2] for p in plan.cells.places])
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    else:
        x0, y0, x1, y1 = plan.enclosure_region.bounds
    return _Cut(float(x0), float(y0), max(float(x1 - x0), 1e-6), max(float(y1 - y0), 1e-6))


def _layer(kind: str, name: str, z0: float, levels: dict[str, float]) -> str:
    """Where a part sits in the cutaway: ``top`` (over the cells: top busbars and leads, fuse
    links, top holder plate, a top cold plate, the BMS's boards and sense lines), ``cells`` (beside
    and under them: frames, end plates, bands, barriers, the gap filler), ``under`` (bottom
    busbars and leads, the bottom holder plate), ``walls``, or ``base`` (floor, flange, a bottom
    cold plate: never cut)."""
    top = levels.get("cell_top", math.inf) - 1e-6
    if name.startswith("tile_top_"):
        return "top"
    if name.startswith("tile_bottom_"):
        return "under"
    if kind == "walls":
        return "walls"
    if kind in ("busbar", "lead", "cold_plate", "fuse"):
        return "top" if z0 >= top else ("base" if kind == "cold_plate" else "under")
    if kind in ("bms_board", "sense_harness"):  # over the busbars: cut with them
        return "top"
    if kind in ("frame", "cell", "gap_filler", "end_plate", "band", "barrier"):  # beside or under the cells
        return "cells"
    return "base"


FROM = {"top": TOP_FROM, "walls": TOP_FROM, "cells": CELLS_FROM, "under": CELLS_FROM}


def _plan_scene(
    plan: Plan,
    view: str = "iso",
    thin: bool = False,
    width: int = 1000,
    height: int = 700,
    *,
    cutaway: bool = True,
    lid: bool = False,
    frame: tuple[Corner, Corner] | None = None,
) -> Scene:
    """The picture's triangles straight from the plan (no second tessellation), lid left out,
    cut away (``iso``) as the module says. Round edges are polygons whose sagitta is under half a
    pixel of the ``width`` × ``height`` picture.

    ``thin`` (a large pack): the bottom holder tiles and the fuse links (under a pixel) are left
    out, and of the cells and top tiles only the faces turned up are kept, but for the cells
    whose sides the cutaway shows (near the cut and the cut-away walls). The assembly's pictures
    (``cad.assembly``) draw whole parts (``cutaway=False``), the ``lid`` too, each step framed on
    the finished pack (``frame``: its (min, max) corners, mm)."""
    import numpy as np

    cut = _cut_of(plan) if view == "iso" and cutaway else None
    segments = _segments(plan, view, width, height, frame)
    acc = _Accumulator()
    for p in plan.prisms:
        if (p.kind == "lid" and not lid) or (thin and p.name.startswith("tile_bottom_")):
            continue
        acc.prism(p, _layer(p.kind, p.name, p.z0, plan.stack), cut, segments, thin)
    reach = max(plan.cells.extent()[:2]) if plan.cells.names else 0.0
    groups = [(plan.cells, "cells")] + [(inst, "tiles") for inst in plan.holders]
    if plan.fuses is not None and not thin:
        groups.append((plan.fuses, "fuse"))
    for inst, what in groups:
        acc.instances(inst, what, plan.stack, cut, segments, thin, reach)
    ghosts = [_ghost(k, plan) for _name, k in plan.keepouts]
    return acc.scene(np.concatenate(ghosts) if ghosts else np.zeros((0, 3, 3)))


def _segments(plan: Plan, view: str, width: int, height: int, frame: tuple[Corner, Corner] | None = None) -> int:
    """Sides of the polygons that draw round edges: r(1 − cos(π/n)) <= 0.5 px, at least 12."""
    import numpy as np

    lo, hi = frame or _bounds(plan)
    corners = np.array([(x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    right, up, _view = _view_axes(view)
    span = max(
        np.ptp(corners @ right) / (width - 2 * PREVIEW_MARGIN), np.ptp(corners @ up) / (height - 2 * PREVIEW_MARGIN)
    )
    radius = max([inst.extent()[1] / 2 for inst in (plan.cells, plan.fuses) if inst is not None] + [1.0])
    r_px = radius / max(span, 1e-9)
    return 4 * math.ceil(max(12, math.pi / math.acos(max(1 - 0.5 / max(r_px, 0.5), -1.0))) / 4)


def _ghost(space: BaseGeometry, plan: Plan) -> np.ndarray:
    """A keepout's envelope: its outline from the floor's top to the lid's underside."""
    floor = next((p.z1 for p in plan.prisms if p.kind == "floor"), 0.0)
    return _prism_triangles(space, floor, plan.stack.get("lid", plan.height), bottom=True)


class _Accumulator:
    """The scene being collected: triangles, colours and a part number per triangle."""

    def __init__(self) -> None:
        self.tris: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.parts: list[np.ndarray] = []
        self.count = 0

    def add(self, tris: np.ndarray, rgb: np.ndarray, part: np.ndarray) -> None:
        if len(tris):
            self.tris.append(tris)
            self.cols.append(rgb)
            self.parts.append(part)

    def prism(self, p, layer: str, cut: _Cut | None, segments: int, thin: bool) -> None:
        import numpy as np
        from shapely.geometry import Point

        poly = p.polygon
        for x, y, r in p.circles:
            poly = poly.difference(Point(x, y).buffer(r, quad_segs=segments // 4))
        if cut is not None and layer in FROM:
            poly = poly.intersection(cut.beyond(FROM[layer]))
            if poly.is_empty:
                return
        if p.cut is not None and not p.cut[0].is_empty:  # the void as three layers: skin, walls, skin
            void, c0, c1 = p.cut
            t = np.concatenate(
                [
                    _prism_triangles(poly, p.z0, c0),
                    _prism_triangles(poly.difference(void), c0, c1),
                    _prism_triangles(poly, c1, p.z1),
                ]
            )
        else:
            t = _prism_triangles(poly, p.z0, p.z1, top_only=thin and p.name.startswith("tile_"))
        self.add(t, np.tile(np.array(p.colour, float), (len(t), 1)), np.full(len(t), self.count))
        self.count += 1

    def instances(
        self, inst, what: str, levels: dict, cut: _Cut | None, segments: int, thin: bool, reach: float
    ) -> None:
        """Placements of ``inst`` the cutaway keeps, each a part; ``thin``: the faces turned up
        only, but for the cells whose sides show."""
        import numpy as np

        keep, sides = [], []
        for k, name in enumerate(inst.names):
            x, y, z = inst.places[k][:3]
            if thin and name.startswith("tile_bottom_"):
                continue
            layer = "cells" if what == "cells" else _layer(what, name, z, levels)
            if cut is not None and layer in FROM and cut.u(x, y) < FROM[layer]:
                continue
            keep.append(k)
            show = not thin
            if thin and what == "cells" and cut is not None:  # beside the cut or a cut-away wall
                u = float(cut.u(x, y))
                near = 3 * reach
                show = u < CELLS_FROM + near / cut.w + near / cut.h or x - cut.x0 < near or y - cut.y0 < near
            sides.append(show)
        if not keep:
            return
        local = _proto_triangles(inst.proto, segments)
        mats = _matrices([inst.places[k] for k in keep], inst.extent())
        rgb = np.array([inst.colours[inst.colour_keys[k]] for k in keep], float)
        ids = self.count + np.arange(len(keep))
        self.count += len(keep)
        n = np.cross(local[:, 1] - local[:, 0], local[:, 2] - local[:, 0])
        up = mats[:, 2, :3] @ n.T > 0.3 * np.linalg.norm(n, axis=1)  # (instances, triangles) turned up
        mask = up | np.array(sides)[:, None]
        inst_i, tri_i = np.nonzero(mask)
        placed = np.einsum("kij,kvj->kvi", mats[inst_i, :3, :3], local[tri_i]) + mats[inst_i, None, :3, 3]
        self.add(placed, rgb[inst_i], ids[inst_i])

    def scene(self, ghosts: np.ndarray) -> Scene:
        import numpy as np

        if not self.tris:
            return Scene(np.zeros((0, 3, 3)), np.zeros((0, 3)), np.zeros(0, np.int64), ghosts)
        return Scene(np.concatenate(self.tris), np.concatenate(self.cols), np.concatenate(self.parts), ghosts)


def render_preview(
    scene: Scene, width: int = 1000, height: int = 700, view: str = "iso", *, frame: tuple[Corner, Corner] | None = None
) -> bytes:
    """A flat-shaded PNG of the scene (numpy z-buffer), every part outlined, the keepouts'
    ghosts blended over what is behind them. ``frame``: the (min, max) corners, mm, the picture
    is fitted to (default: the scene's own), so that pictures of parts of one pack line up."""
    import numpy as np

    if frame is not None:
        points = _corners(frame)
    else:
        points = np.concatenate([scene.triangles, scene.ghosts]).reshape(-1, 3)
    canvas = Canvas(width, height, view, points, len(scene.triangles))
    canvas.draw(scene)
    return canvas.png(scene.ghosts)


def _corners(frame: tuple[Corner, Corner]) -> np.ndarray:
    import numpy as np

    lo, hi = frame
    return np.array([(x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])


class Canvas:
    """A picture being drawn: the view and the scale fitted to ``points`` (mm), and a z-buffer
    that scenes are drawn into one after another (``draw``: the assembly's pictures add a
    step's parts to the picture of the steps before), and the PNG of what is drawn so far
    (``png``). ``capacity``: at least the number of triangles that will be drawn (the bits of
    the z-buffer that number them).

    The z-buffer holds one int64 per pixel: the depth quantised to the high bits, the triangle's
    number in the low ones, so ``np.minimum.at`` keeps the nearest fragment, and of fragments at
    one depth the first triangle's (deterministic, no sort): drawing scenes one after another
    gives the pixels of drawing them all at once."""

    def __init__(self, width: int, height: int, view: str, points: np.ndarray, capacity: int):
        import numpy as np

        self.width, self.height = width, height
        self.right, self.up, self.direction = _view_axes(view)
        if not len(points):
            points = np.zeros((1, 3))
        u, w = points @ self.right, points @ self.up
        margin = PREVIEW_MARGIN
        span = max(np.ptp(u) / (width - 2 * margin), np.ptp(w) / (height - 2 * margin), 1e-9)
        self.span = float(span)
        self.ox = float(u.min() - (width - 2 * margin - np.ptp(u) / span) / 2 * span - margin * span)
        self.oy = float(w.max() + (height - 2 * margin - np.ptp(w) / span) / 2 * span + margin * span)
        d = points @ self.direction
        self.owner_bits = max(1, int(max(capacity, 1) - 1).bit_length())
        self.depth = _Depth(float(d.min()), float(d.max()), self.owner_bits)
        self.zbuf = np.full(height * width, _EMPTY, dtype=np.int64)
        self.planes: list[np.ndarray] = []  # (a, b, c) of each triangle drawn: its depth at a pixel
        self.rgb: list[np.ndarray] = []
        self.parts: list[np.ndarray] = []
        self.count = 0

    def project(self, tris: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Screen x, y (px) and depth of each corner, and whether the triangle faces the viewer."""
        import numpy as np

        pts = tris.reshape(-1, 3)
        sx = ((pts @ self.right - self.ox) / self.span).reshape(-1, 3)
        sy = ((self.oy - pts @ self.up) / self.span).reshape(-1, 3)
        normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        front = (np.linalg.norm(normal, axis=1) > 1e-12) & (normal @ self.direction < 0)  # closed solids
        return sx, sy, (pts @ self.direction).reshape(-1, 3), front

    def draw(self, scene: Scene) -> None:
        """Draw the scene's triangles (not its ghosts) over what is drawn."""
        import numpy as np

        if not len(scene.triangles):
            return
        sx, sy, d, front = self.project(scene.triangles)
        index = np.flatnonzero(front)
        tris = scene.triangles[index]
        normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        light = np.array(LIGHT) / np.linalg.norm(LIGHT)
        shade = np.abs(normal @ light) / np.linalg.norm(normal, axis=1)
        self.rgb.append(np.clip(scene.colours[index] * (0.35 + 0.65 * shade)[:, None], 0, 1) * 255)
        self.parts.append(scene.parts[index])
        owners = self.count + np.arange(len(index), dtype=np.int64)
        self.planes.append(
            _rasterise(self.zbuf, self.height, self.width, sx[index], sy[index], d[index], owners, self.depth)
        )
        self.count += len(index)

    def png(self, ghosts: np.ndarray) -> bytes:
        """The PNG of what is drawn, every part outlined, the ghosts blended over what is behind them."""
        import numpy as np

        h, w = self.height, self.width
        img = np.full((h, w, 3), 255.0)
        owner, depth = self._resolve(self.zbuf, self.planes)
        drawn = owner >= 0
        flat = img.reshape(-1, 3)
        if self.count:
            rgb, parts = np.concatenate(self.rgb), np.concatenate(self.parts)
            flat[drawn] = rgb[owner[drawn]]
            part = np.where(drawn, parts[np.maximum(owner, 0)], -1).reshape(h, w)
            _outline(img, part, 1.0 - OUTLINE)
        if len(ghosts):
            gx, gy, gd, g_front = self.project(ghosts)
            g_index = np.flatnonzero(g_front)
            g_buf = np.full(h * w, _EMPTY, dtype=np.int64)
            depth_q = _Depth(self.depth.lo, self.depth.hi, max(1, int(len(g_index)).bit_length()))
            owners = np.arange(len(g_index), dtype=np.int64)
            planes = _rasterise(g_buf, h, w, gx[g_index], gy[g_index], gd[g_index], owners, depth_q)
            g_owner, g_depth = self._resolve(g_buf, [planes], depth_q)
            over = (g_owner >= 0) & (~drawn | (g_depth < depth))
            flat[over] = flat[over] * (1 - GHOST_ALPHA) + np.array(GHOST_COLOUR) * 255 * GHOST_ALPHA
            ghost = np.where(g_owner >= 0, 0, -1).reshape(h, w)
            _outline(img, ghost, 0.0, colour=np.array(GHOST_COLOUR) * 255)
        return _png(np.clip(img, 0, 255).astype(np.uint8))

    def _resolve(
        self, zbuf: np.ndarray, planes: list[np.ndarray], depth_q: _Depth | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The triangle drawn at every pixel (−1 where none) and its depth there."""
        import numpy as np

        bits = (depth_q or self.depth).owner_bits
        owner = np.full(zbuf.shape, -1, dtype=np.int64)
        depth = np.full(zbuf.shape, np.inf)
        hit = np.flatnonzero(zbuf != _EMPTY)
        if not len(hit):
            return owner, depth
        won = zbuf[hit] & ((1 << bits) - 1)
        owner[hit] = won
        a, b, c = np.concatenate(planes, axis=1)
        py, px = np.divmod(hit, self.width)
        depth[hit] = a[won] * (px + 0.5) + b[won] * (py + 0.5) + c[won]
        return owner, depth


_EMPTY = (1 << 63) - 1  # a pixel no triangle covers
LIGHT = (-0.35, -0.55, 0.76)  # towards the light (normalised where used)
RASTER_BUDGET = 1 << 21  # rows and pixels of the triangles rasterised at once: bounds the arrays' size


@dataclass(frozen=True)
class _Depth:
    """Depths from ``lo`` to ``hi`` quantised to the bits of the z-buffer above ``owner_bits``."""

    lo: float
    hi: float
    owner_bits: int

    @property
    def steps(self) -> float:
        return float(2 ** (62 - self.owner_bits) - 1)

    def level(self, depth: np.ndarray) -> np.ndarray:
        import numpy as np

        scale = self.steps / max(self.hi - self.lo, 1e-9)
        return np.clip((depth - self.lo) * scale, 0.0, self.steps).astype(np.int64)


def _outline(img: np.ndarray, part: np.ndarray, dim: float, colour: np.ndarray | None = None) -> None:
    """Darken (by ``dim``, or paint ``colour``) every pixel of a part whose right or lower
    neighbour is another part or the background: each part's outline, one pixel wide."""
    import numpy as np

    edge = np.zeros(part.shape, bool)
    edge[:, :-1] |= part[:, :-1] != part[:, 1:]
    edge[:-1, :] |= part[:-1, :] != part[1:, :]
    edge[:, 1:] |= (part[:, 1:] != part[:, :-1]) & (part[:, :-1] < 0)
    edge[1:, :] |= (part[1:, :] != part[:-1, :]) & (part[:-1, :] < 0)
    edge &= part >= 0
    if colour is None:
        img[edge] *= 1 - dim
    else:
        img[edge] = colour


def write_previews(plan: Plan, out: Path, thin: bool) -> list[str]:
    """preview.png (the isometric cutaway) and preview_top.png (from above) into ``out``;
    returns their names."""
    iso_w, iso_h = ISO_SIZE
    (out / "preview.png").write_bytes(render_preview(_plan_scene(plan, "iso", thin, iso_w, iso_h), iso_w, iso_h, "iso"))
    lo, hi = _bounds(plan)
    aspect = (hi[1] - lo[1]) / max(hi[0] - lo[0], 1e-9)
    top_h = int(
        min(max(round((TOP_WIDTH - 2 * PREVIEW_MARGIN) * aspect) + 2 * PREVIEW_MARGIN, TOP_HEIGHTS[0]), TOP_HEIGHTS[1])
    )
    (out / "preview_top.png").write_bytes(
        render_preview(_plan_scene(plan, "top", thin, TOP_WIDTH, top_h), TOP_WIDTH, top_h, "top")
    )
    return ["preview.png", "preview_top.png"]


def _rasterise(
    zbuf: np.ndarray,
    h: int,
    w: int,
    sx: np.ndarray,
    sy: np.ndarray,
    d: np.ndarray,
    owners: np.ndarray,
    depth_q: _Depth,
) -> np.ndarray:
    """Draw triangles (screen corners ``sx``, ``sy`` px, depths ``d``) into the z-buffer
    ``zbuf`` (h × w, ``Canvas``), triangle k numbered ``owners[k]``; returns their depth planes
    (3, N): depth = a·x + b·y + c at a pixel's centre.

    Scanline spans per triangle: the pixel centres of each of its rows between its edges. The
    triangles go in groups by their height in rows (1, 2, 3-4, 5-8, … rows), each row of a
    group computed at once: most triangles of a pack are a few pixels high, and a group of small
    ones does not pay for the rows of the tallest (a plate across the picture)."""
    import numpy as np

    x0, x1, x2 = sx.T
    y0, y1, y2 = sy.T
    d0, d1, d2 = d.T
    den = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    ok = np.abs(den) > 1e-9
    den = np.where(ok, den, 1.0)
    a = ((d1 - d0) * (y2 - y0) - (d2 - d0) * (y1 - y0)) / den
    b = ((x1 - x0) * (d2 - d0) - (x2 - x0) * (d1 - d0)) / den
    c = d0 - a * x0 - b * y0
    ylo = np.maximum(np.ceil(sy.min(axis=1) - 0.5), 0).astype(np.int64)
    yhi = np.minimum(np.floor(sy.max(axis=1) - 0.5), h - 1).astype(np.int64)
    on_screen = (sx.max(axis=1) >= 0.5) & (sx.min(axis=1) <= w - 0.5)
    rows_of = yhi - ylo + 1
    todo = np.flatnonzero(ok & on_screen & (rows_of > 0))
    group = np.ceil(np.log2(rows_of[todo])).astype(np.int64)  # 1 row: 0, 2: 1, 3-4: 2, …
    # each triangle's cost: its rows, and at most its box's pixels (its fragments)
    width = np.clip(np.ptp(sx[todo], axis=1) + 1, 1, w)
    for g in np.unique(group):
        mine = group == g
        members = todo[mine]
        n_rows = 1 << int(g)
        cost = np.cumsum(n_rows + n_rows * width[mine])
        chunk = np.floor(cost / RASTER_BUDGET).astype(np.int64)  # a chunk per budget's worth
        for k in np.unique(chunk):
            _spans(zbuf, w, members[chunk == k], n_rows, sx, sy, ylo, yhi, (a, b, c), owners, depth_q)
    return np.stack([a, b, c])


def _spans(
    zbuf: np.ndarray,
    w: int,
    t: np.ndarray,
    n_rows: int,
    sx: np.ndarray,
    sy: np.ndarray,
    ylo: np.ndarray,
    yhi: np.ndarray,
    plane: tuple[np.ndarray, np.ndarray, np.ndarray],
    owners: np.ndarray,
    depth_q: _Depth,
) -> None:
    """The fragments of triangles ``t`` (each at most ``n_rows`` rows high) into the z-buffer."""
    import numpy as np

    rows = ylo[t, None] + np.arange(n_rows)[None]
    yc = rows + 0.5
    xl = np.full(rows.shape, np.inf)
    xr = np.full(rows.shape, -np.inf)
    for p, q in ((0, 1), (1, 2), (2, 0)):
        xp, yp, xq, yq = sx[t, p, None], sy[t, p, None], sx[t, q, None], sy[t, q, None]
        lo, hi = np.minimum(yp, yq), np.maximum(yp, yq)
        cross = (yc >= lo) & (yc <= hi) & (hi > lo)
        x = xp + (yc - yp) * (xq - xp) / np.where(hi > lo, yq - yp, 1.0)
        xl = np.where(cross, np.minimum(xl, x), xl)
        xr = np.where(cross, np.maximum(xr, x), xr)
    first = np.ceil(xl - 0.5)
    last = np.floor(xr - 0.5)
    live = (rows <= yhi[t, None]) & np.isfinite(first) & (last >= first)
    first = np.clip(first, 0, w - 1).astype(np.int64)
    last = np.clip(last, -1, w - 1).astype(np.int64)
    count = np.maximum(np.where(live, last - first + 1, 0), 0).ravel()
    total = int(count.sum())
    if not total:
        return
    owner = np.repeat(np.repeat(t, n_rows), count)
    row = np.repeat(rows.ravel(), count)
    offs = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    px = np.repeat(first.ravel(), count) + offs
    a, b, c = plane
    depth = a[owner] * (px + 0.5) + b[owner] * (row + 0.5) + c[owner]
    np.minimum.at(zbuf, row * w + px, (depth_q.level(depth) << depth_q.owner_bits) | owners[owner])


def _png(img: np.ndarray) -> bytes:
    """An RGB8 PNG, deterministic (no time chunk)."""
    h, w, _ = img.shape
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _stl_bytes(scene) -> bytes:
    """Binary STL of every triangle (mm, z up), lid included."""
    import numpy as np

    tris = scene[0].astype(np.float32)
    normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    norm = np.linalg.norm(normal, axis=1, keepdims=True)
    normal = np.where(norm > 0, normal / np.where(norm > 0, norm, 1), 0).astype(np.float32)
    rec = np.zeros(len(tris), dtype=[("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rec["n"], rec["v"] = normal, tris
    header = b"battgen pack STL, millimetres".ljust(80, b" ")
    return header + struct.pack("<I", len(tris)) + rec.tobytes()
