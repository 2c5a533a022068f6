"""preview.png and pack.stl: the pack drawn from the plan, rasterised in numpy, written with zlib.

The preview's triangles come straight from the plan's prisms and instance prototypes (no second
tessellation, no reading back the GLB: a third of the triangles, round edges as fine as the
picture needs), seen isometrically with the lid left off, z-buffered in numpy (no display, no
matplotlib) and written as a deterministic PNG (no time chunk). The STL is the GLB's triangles
(``glb._glb_triangles``) as binary STL.
"""

from __future__ import annotations

import math
import struct
import zlib
from typing import TYPE_CHECKING

from battgen.emit.cad.parts import Corner, Plan, _bounds

if TYPE_CHECKING:
    import numpy as np
    from shapely.geometry.base import BaseGeometry

Scene = tuple["np.ndarray", "np.ndarray", "np.ndarray"]  # (triangles (N, 3, 3) mm, RGB (N, 3) 0..1, skip flags (N,))

PREVIEW_MARGIN = 20  # px of white around the pack in preview.png


def _view_axes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(right, up, view) unit vectors of the isometric preview, looking from (-x, -y, +z)."""
    import numpy as np

    view = np.array([1.0, 1.0, -1.0]) / math.sqrt(3)
    right = np.cross(view, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    return right, np.cross(right, view), view


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


def _plan_scene(
    plan: Plan,
    thin: bool = False,
    width: int = 1000,
    height: int = 700,
    *,
    lid: bool = False,
    frame: tuple[Corner, Corner] | None = None,
) -> Scene:
    """The preview's triangles straight from the plan (no second tessellation): (triangles
    (N, 3, 3) mm, RGB colours (N, 3), skip flags (N,)), lid left out. Round edges are drawn as
    polygons whose sagitta is under half a pixel of the ``width`` × ``height`` picture.

    ``thin`` (a large pack): the bottom holder tiles (under the cells and the top tiles) and
    the fuse links (under a pixel) are left out, and of the cells and top tiles only the faces
    turned up are kept (their sides are hidden by their neighbours). ``lid``: draw the lid too;
    ``frame``: the (min, max) corners the picture is scaled for (default: the plan's own)."""
    import numpy as np
    from shapely.geometry import Point

    lo, hi = frame or _bounds(plan)
    corners = np.array([(x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    right, up, _view = _view_axes()
    span = max(
        np.ptp(corners @ right) / (width - 2 * PREVIEW_MARGIN), np.ptp(corners @ up) / (height - 2 * PREVIEW_MARGIN)
    )
    radius = max([inst.extent()[1] / 2 for inst in (plan.cells, plan.fuses) if inst is not None] + [1.0])
    r_px = radius / max(span, 1e-9)
    # n-gons with r(1 - cos(π/n)) <= 0.5 px, at least 12 (a cell a few pixels wide still looks round)
    segments = 4 * math.ceil(max(12, math.pi / math.acos(max(1 - 0.5 / max(r_px, 0.5), -1.0))) / 4)

    tris, cols = [], []
    for p in plan.prisms:
        if (p.kind == "lid" and not lid) or (thin and p.name.startswith("tile_bottom_")):
            continue
        poly = p.polygon
        for x, y, r in p.circles:
            poly = poly.difference(Point(x, y).buffer(r, quad_segs=segments // 4))
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
        tris.append(t)
        cols.append(np.tile(np.array(p.colour, float), (len(t), 1)))
    groups = [(plan.cells, thin)] + [(inst, thin) for inst in plan.holders]
    if plan.fuses is not None and not thin:
        groups.append((plan.fuses, False))
    for inst, up_only in groups:
        keep = [k for k, n in enumerate(inst.names) if not (thin and n.startswith("tile_bottom_"))]
        if not keep:
            continue
        local = _proto_triangles(inst.proto, segments)
        mats = _matrices([inst.places[k] for k in keep], inst.extent())
        rgb = np.array([inst.colours[inst.colour_keys[k]] for k in keep], float)
        if up_only:  # faces whose placed normal points up (z > 0.3 of its length)
            n = np.cross(local[:, 1] - local[:, 0], local[:, 2] - local[:, 0])
            mask = mats[:, 2, :3] @ n.T > 0.3 * np.linalg.norm(n, axis=1)  # (instances, triangles)
            inst_i, tri_i = np.nonzero(mask)
            placed = np.einsum("kij,kvj->kvi", mats[inst_i, :3, :3], local[tri_i]) + mats[inst_i, None, :3, 3]
            tris.append(placed)
            cols.append(rgb[inst_i])
        else:
            placed = np.matmul(local.reshape(1, -1, 3), mats[:, :3, :3].transpose(0, 2, 1)) + mats[:, None, :3, 3]
            tris.append(placed.reshape(-1, 3, 3))
            cols.append(np.repeat(rgb, local.shape[0], axis=0))
    if not tris:
        return np.zeros((0, 3, 3)), np.zeros((0, 3)), np.zeros(0, bool)
    every = np.concatenate(tris)
    return every, np.concatenate(cols), np.zeros(len(every), bool)


def render_preview(
    scene: Scene, width: int = 1000, height: int = 700, *, frame: tuple[Corner, Corner] | None = None
) -> bytes:
    """An isometric, flat-shaded PNG of the pack with the lid left off (numpy z-buffer).
    ``frame``: the (min, max) corners, mm, to fit the picture to (default: the scene's own), so
    that pictures of parts of one pack line up."""
    import numpy as np

    tris, cols, skip = scene
    keep = ~skip
    tris, cols = tris[keep], cols[keep]
    img = np.full((height, width, 3), 255, dtype=np.uint8)
    if len(tris):
        right, up, view = _view_axes()
        pts = tris.reshape(-1, 3)
        u, w, d = pts @ right, pts @ up, pts @ view
        if frame is not None:
            lo, hi = frame
            box = np.array([(x, y, z) for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
            fu, fw = box @ right, box @ up
        else:
            fu, fw = u, w
        margin = PREVIEW_MARGIN
        span = max((fu.max() - fu.min()) / (width - 2 * margin), (fw.max() - fw.min()) / (height - 2 * margin), 1e-9)
        sx = (u - fu.min()) / span + margin + (width - 2 * margin - (fu.max() - fu.min()) / span) / 2
        sy = (fw.max() - w) / span + margin + (height - 2 * margin - (fw.max() - fw.min()) / span) / 2
        sx, sy, d = sx.reshape(-1, 3), sy.reshape(-1, 3), d.reshape(-1, 3)
        normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
        norm = np.linalg.norm(normal, axis=1)
        ok = (norm > 1e-12) & (normal @ view < 0)  # closed solids: back faces are never seen
        light = np.array([-0.35, -0.55, 0.76])
        light /= np.linalg.norm(light)
        shade = np.where(ok, np.abs(normal @ light) / np.where(ok, norm, 1.0), 0.5)
        rgb = np.clip(cols * (0.35 + 0.65 * shade)[:, None], 0, 1)
        _rasterise(img, sx[ok], sy[ok], d[ok], (rgb[ok] * 255).astype(np.uint8))
    return _png(img)


def _rasterise(img: np.ndarray, sx: np.ndarray, sy: np.ndarray, d: np.ndarray, rgb: np.ndarray) -> None:
    """Z-buffer the triangles into ``img``: scanline spans per triangle (after bisecting long
    ones), nearest wins, ties broken by triangle order (deterministic)."""
    import numpy as np

    h, w, _ = img.shape
    sx, sy, d, rgb = _split_long(sx, sy, d, rgb, 16.0)
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
    flat = img.reshape(-1, 3)
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
    flat[drawn] = rgb[zbuf[drawn] & ((1 << owner_bits) - 1)]


def _split_long(sx: np.ndarray, sy: np.ndarray, d: np.ndarray, rgb: np.ndarray, limit: float) -> tuple[np.ndarray, ...]:
    """Bisect every triangle's longest screen edge until all edges are under ``limit`` px
    (long thin triangles of plates with holes would otherwise need huge bounding boxes)."""
    import numpy as np

    done = []
    for _ in range(60):
        ex = np.stack([sx[:, 1] - sx[:, 0], sx[:, 2] - sx[:, 1], sx[:, 0] - sx[:, 2]], axis=1)
        ey = np.stack([sy[:, 1] - sy[:, 0], sy[:, 2] - sy[:, 1], sy[:, 0] - sy[:, 2]], axis=1)
        length = ex * ex + ey * ey
        big = length.max(axis=1) > limit * limit
        done.append((sx[~big], sy[~big], d[~big], rgb[~big]))
        if not big.any():
            break
        sx, sy, d, rgb = sx[big], sy[big], d[big], rgb[big]
        k = length[big].argmax(axis=1)  # edge k joins vertex k and k+1: split it at its midpoint
        idx = np.arange(len(k))
        a, b, c = k, (k + 1) % 3, (k + 2) % 3
        halves = []
        for arr in (sx, sy, d):
            pa, pb, pc = arr[idx, a], arr[idx, b], arr[idx, c]
            mid = (pa + pb) / 2
            halves.append(np.concatenate([np.stack([pa, mid, pc], axis=1), np.stack([mid, pb, pc], axis=1)]))
        sx, sy, d = halves
        rgb = np.concatenate([rgb, rgb])
    else:
        done.append((sx, sy, d, rgb))
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


def _stl_bytes(scene: Scene) -> bytes:
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
