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
    """Triangles of an instance prototype (as ``_proto_solid`` makes it) with round edges as
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
    """4×4 placements of instances (numpy), the same transforms as ``_locations``."""
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

    img = np.full((height, width, 3), 255.0)
    right, up, direction = _view_axes(view)
    every = np.concatenate([scene.triangles, scene.ghosts]).reshape(-1, 3)
    if not len(every):
        return _png(img.astype(np.uint8))
    if frame is not None:
        lo, hi = frame
        every = np.array([(x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    u, w = every @ right, every @ up
    margin = PREVIEW_MARGIN
    span = max((np.ptp(u)) / (width - 2 * margin), np.ptp(w) / (height - 2 * margin), 1e-9)
    ox = u.min() - (width - 2 * margin - np.ptp(u) / span) / 2 * span - margin * span
    oy = w.max() + (height - 2 * margin - np.ptp(w) / span) / 2 * span + margin * span

    def project(tris: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        pts = tris.reshape(-1, 3)
        sx = ((pts @ right - ox) / span).reshape(-1, 3)
        sy = ((oy - pts @ up) / span).reshape(-1, 3)
        normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        front = (np.linalg.norm(normal, axis=1) > 1e-12) & (normal @ direction < 0)  # closed solids
        return sx, sy, (pts @ direction).reshape(-1, 3), front

    sx, sy, d, front = project(scene.triangles)
    normal = np.cross(scene.triangles[:, 1] - scene.triangles[:, 0], scene.triangles[:, 2] - scene.triangles[:, 0])
    light = np.array([-0.35, -0.55, 0.76])
    light /= np.linalg.norm(light)
    norm = np.where(front, np.linalg.norm(normal, axis=1), 1.0)
    shade = np.where(front, np.abs(normal @ light) / norm, 0.5)
    rgb = np.clip(scene.colours * (0.35 + 0.65 * shade)[:, None], 0, 1) * 255
    index = np.flatnonzero(front)
    owner, depth = _zbuffer(height, width, sx[front], sy[front], d[front])
    drawn = owner >= 0
    flat = img.reshape(-1, 3)
    flat[drawn] = rgb[index[owner[drawn]]]
    part = np.where(drawn, scene.parts[index[np.maximum(owner, 0)]] if len(index) else -1, -1).reshape(height, width)
    _outline(img, part, 1.0 - OUTLINE)
    if len(scene.ghosts):
        gx, gy, gd, g_front = project(scene.ghosts)
        g_owner, g_depth = _zbuffer(height, width, gx[g_front], gy[g_front], gd[g_front])
        over = (g_owner >= 0) & (~drawn | (g_depth < depth))
        flat[over] = flat[over] * (1 - GHOST_ALPHA) + np.array(GHOST_COLOUR) * 255 * GHOST_ALPHA
        ghost = np.where(g_owner >= 0, 0, -1).reshape(height, width)
        _outline(img, ghost, 0.0, colour=np.array(GHOST_COLOUR) * 255)
    return _png(np.clip(img, 0, 255).astype(np.uint8))


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


def _zbuffer(h: int, w: int, sx: np.ndarray, sy: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest triangle at every pixel (its index, −1 where none) and its depth there:
    scanline spans per triangle (after bisecting long ones), nearest wins, ties broken by
    triangle order (deterministic)."""
    import numpy as np

    owner_out = np.full(h * w, -1, dtype=np.int64)
    depth_out = np.full(h * w, np.inf)
    if not len(sx):
        return owner_out, depth_out
    sx, sy, d, origin = _split_long(sx, sy, d, np.arange(len(sx), dtype=np.int64), 16.0)
    x0, x1, x2 = sx.T
    y0, y1, y2 = sy.T
    d0, d1, d2 = d.T
    den = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    ok = np.abs(den) > 1e-9
    den = np.where(ok, den, 1.0)
    a = ((d1 - d0) * (y2 - y0) - (d2 - d0) * (y1 - y0)) / den
    b = ((x1 - x0) * (d2 - d0) - (x2 - x0) * (d1 - d0)) / den
    c = d0 - a * x0 - b * y0
    ylo = np.ceil(sy.min(axis=1) - 0.5).astype(np.int64)
    yhi = np.floor(sy.max(axis=1) - 0.5).astype(np.int64)
    # The z-buffer holds one int64 per pixel: the depth quantised to the high bits, the triangle's
    # index in the low ones, so ``np.minimum.at`` keeps the nearest fragment, and of fragments
    # at one depth the first triangle's (deterministic, no sort).
    owner_bits = max(1, int(len(sx) - 1).bit_length())
    depth_steps = float(2 ** (62 - owner_bits) - 1)
    d_lo, d_hi = float(d.min(initial=0.0)), float(d.max(initial=1.0))
    d_scale = depth_steps / max(d_hi - d_lo, 1e-9)
    empty = np.iinfo(np.int64).max
    zbuf = np.full(h * w, empty, dtype=np.int64)
    span_rows = int(max(1, (yhi - ylo).max(initial=0) + 1))
    for start in range(0, len(sx), 200_000):
        t = np.arange(start, min(start + 200_000, len(sx)))
        t = t[ok[t]]
        rows = ylo[t, None] + np.arange(span_rows)[None]
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
        live = (rows <= yhi[t, None]) & (rows >= 0) & (rows < h) & np.isfinite(first) & (last >= first)
        first = np.clip(first, 0, w - 1).astype(np.int64)
        last = np.clip(last, -1, w - 1).astype(np.int64)
        count = np.where(live, last - first + 1, 0)
        count = np.maximum(count, 0).ravel()
        total = int(count.sum())
        if not total:
            continue
        owner = np.repeat(np.repeat(t, span_rows), count)
        row = np.repeat(rows.ravel(), count)
        offs = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
        px = np.repeat(first.ravel(), count) + offs
        depth = a[owner] * (px + 0.5) + b[owner] * (row + 0.5) + c[owner]
        level = np.clip((depth - d_lo) * d_scale, 0.0, depth_steps).astype(np.int64)
        np.minimum.at(zbuf, row * w + px, (level << owner_bits) | owner)
    drawn = np.flatnonzero(zbuf != empty)
    won = zbuf[drawn] & ((1 << owner_bits) - 1)
    owner_out[drawn] = origin[won]
    py, px = np.divmod(drawn, w)
    depth_out[drawn] = a[won] * (px + 0.5) + b[won] * (py + 0.5) + c[won]
    return owner_out, depth_out


def _split_long(
    sx: np.ndarray, sy: np.ndarray, d: np.ndarray, origin: np.ndarray, limit: float
) -> tuple[np.ndarray, ...]:
    """Bisect every triangle's longest screen edge until all edges are under ``limit`` px
    (long thin triangles of plates with holes would otherwise need huge bounding boxes);
    ``origin``: each triangle's index in the input, carried to its pieces."""
    import numpy as np

    done = []
    for _ in range(60):
        ex = np.stack([sx[:, 1] - sx[:, 0], sx[:, 2] - sx[:, 1], sx[:, 0] - sx[:, 2]], axis=1)
        ey = np.stack([sy[:, 1] - sy[:, 0], sy[:, 2] - sy[:, 1], sy[:, 0] - sy[:, 2]], axis=1)
        length = ex * ex + ey * ey
        big = length.max(axis=1) > limit * limit
        done.append((sx[~big], sy[~big], d[~big], origin[~big]))
        if not big.any():
            break
        sx, sy, d, origin = sx[big], sy[big], d[big], origin[big]
        k = length[big].argmax(axis=1)  # edge k joins vertex k and k+1: split it at its midpoint
        idx = np.arange(len(k))
        a, b, c = k, (k + 1) % 3, (k + 2) % 3
        halves = []
        for arr in (sx, sy, d):
            pa, pb, pc = arr[idx, a], arr[idx, b], arr[idx, c]
            mid = (pa + pb) / 2
            halves.append(np.concatenate([np.stack([pa, mid, pc], axis=1), np.stack([mid, pb, pc], axis=1)]))
        sx, sy, d = halves
        origin = np.concatenate([origin, origin])
    else:
        done.append((sx, sy, d, origin))
    return tuple(np.concatenate([part[i] for part in done]) for i in range(4))


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
