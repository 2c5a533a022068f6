"""The plan's solids as STEP (ISO 10303-21) B-rep entities, written as text in Python (no OCCT).

Every solid of the plan is an extrusion along z of a planar region bounded by straight rings
(shapely polygons) and whole circles (round holes, round cells and wires): a prism. Its
boundary is written here directly, as OCCT's STEP writer writes such a solid (AP214 advanced
B-rep, no pcurves: readers rebuild them on planes and cylinders):

* the bottom face (``PLANE``, its normal −z) and the top face (+z), each bounded by every ring
  and circle of the region at its height;
* a planar side face per segment of each ring (a rectangle: the segment at the bottom, its end's
  vertical edge, the segment at the top, its start's vertical edge), its normal pointing out;
* a ``CYLINDRICAL_SURFACE`` face per circle, closed by a seam edge at angle 0 (x + r).

Orientation (ISO 10303-42 ``face_bound``): looking against a face's outward normal, its loop
runs counter-clockwise, the material on its left. Rings come oriented as shapely's ``orient``
gives them (exterior counter-clockwise, holes clockwise seen from +z): the material is left of
each segment a → b, so the side face's outward normal is (dy, −dx) and its loop a → b at the
bottom, up at b, b → a at the top, down at a; the top face takes the top segments as they run,
the bottom face the bottom segments reversed, in reverse order. A circle is counter-clockwise
about +z; an outer circle's face has the surface's normal (``.T.``), a hole's the opposite.

A frame (origin and three axes) maps the local prism into place: fuse-link wires lie along x.
Entities are numbered as they are written (``Entities``), so the same plan gives the same text.
"""

from __future__ import annotations

from collections.abc import Sequence

Frame = tuple[
    tuple[float, float, float], tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]
]
# (origin, local x, local y, local z): a point (u, v, w) of the local prism is origin + u x + v y + w z


def real(v: float) -> str:
    """A float as a STEP REAL: Python's shortest round-trip digits, with the decimal point
    Part 21 requires before any exponent (``1e-07`` → ``1.E-07``)."""
    s = repr(float(v))
    if "e" in s:
        mantissa, exponent = s.split("e")
        if "." not in mantissa:
            mantissa += "."
        return f"{mantissa}E{exponent}"
    return s


def string(text: str) -> str:
    """A STEP string literal: quotes and backslashes doubled, anything beyond printable ASCII
    as ``\\X2\\`` hex (ISO 10303-21, 6.4.3)."""
    out = text.replace("\\", "\\\\").replace("'", "''")
    if not all(" " <= ch <= "~" for ch in out):
        out = "".join(ch if " " <= ch <= "~" else f"\\X2\\{ord(ch):04X}\\X0\\" for ch in out)
    return f"'{out}'"


class Entities:
    """The DATA section being written: ``add`` numbers an entity and returns its id."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, body: str) -> int:
        n = len(self.lines) + 1
        self.lines.append(f"#{n}={body};\n")
        return n

    def text(self) -> str:
        return "".join(self.lines)


class _Prism:
    """One solid being written: its frame, its heights, and the entities its faces share."""

    def __init__(self, out: Entities, z0: float, z1: float, frame: Frame | None) -> None:
        self.out, self.z0, self.z1, self.frame = out, z0, z1, frame
        self.dir_z = self.direction(0.0, 0.0, 1.0)
        self.dir_x = self.direction(1.0, 0.0, 0.0)
        self.up = out.add(f"VECTOR('',#{self.dir_z},{real(z1 - z0)})")
        self.faces: list[int] = []
        self.bottom: list[tuple[bool, list[int]]] = []  # (outer, oriented edges) per boundary
        self.top: list[tuple[bool, list[int]]] = []

    def point(self, x: float, y: float, z: float) -> int:
        if self.frame is not None:
            (ox, oy, oz), ex, ey, ez = self.frame
            x, y, z = (o + x * a + y * b + z * c for o, a, b, c in zip((ox, oy, oz), ex, ey, ez))
        return self.out.add(f"CARTESIAN_POINT('',({real(x)},{real(y)},{real(z)}))")

    def direction(self, x: float, y: float, z: float) -> int:
        if self.frame is not None:
            _o, ex, ey, ez = self.frame
            x, y, z = (x * a + y * b + z * c for a, b, c in zip(ex, ey, ez))
        return self.out.add(f"DIRECTION('',({real(x)},{real(y)},{real(z)}))")

    def edge(self, start: int, end: int, curve: str) -> int:
        """An edge from vertex ``start`` to ``end`` along ``curve`` (an entity's text)."""
        return self.out.add(f"EDGE_CURVE('',#{start},#{end},#{self.out.add(curve)},.T.)")

    def oriented(self, edge: int, forward: bool) -> int:
        return self.out.add(f"ORIENTED_EDGE('',*,*,#{edge},{'.T.' if forward else '.F.'})")

    def face(self, bounds: Sequence[tuple[bool, list[int]]], surface: int, same_sense: bool) -> None:
        add = self.out.add
        ids = []
        for outer, edges in bounds:
            loop = add(f"EDGE_LOOP('',({','.join(f'#{e}' for e in edges)}))")
            ids.append(add(f"{'FACE_OUTER_BOUND' if outer else 'FACE_BOUND'}('',#{loop},.T.)"))
        self.faces.append(
            add(f"ADVANCED_FACE('',({','.join(f'#{b}' for b in ids)}),#{surface},{'.T.' if same_sense else '.F.'})")
        )

    def ring(self, xy: Sequence[tuple[float, float]], outer: bool) -> None:
        """A straight ring (its points without the closing one, material on the left)."""
        add, z0, z1 = self.out.add, self.z0, self.z1
        n = len(xy)
        pb = [self.point(x, y, z0) for x, y in xy]
        pt = [self.point(x, y, z1) for x, y in xy]
        vb = [add(f"VERTEX_POINT('',#{p})") for p in pb]
        vt = [add(f"VERTEX_POINT('',#{p})") for p in pt]
        ev = [self.edge(vb[i], vt[i], f"LINE('',#{pb[i]},#{self.up})") for i in range(n)]
        bottom, top = [], []
        for i in range(n):
            j = (i + 1) % n
            (ax, ay), (bx, by) = xy[i], xy[j]
            dx, dy = bx - ax, by - ay
            length = (dx * dx + dy * dy) ** 0.5
            dx, dy = dx / length, dy / length
            along = self.direction(dx, dy, 0.0)
            vec = add(f"VECTOR('',#{along},{real(length)})")
            eb = self.edge(vb[i], vb[j], f"LINE('',#{pb[i]},#{vec})")
            et = self.edge(vt[i], vt[j], f"LINE('',#{pt[i]},#{vec})")
            axis = add(f"AXIS2_PLACEMENT_3D('',#{pb[i]},#{self.direction(dy, -dx, 0.0)},#{along})")
            loop = [self.oriented(eb, True), self.oriented(ev[j], True), self.oriented(et, False)]
            self.face([(True, [*loop, self.oriented(ev[i], False)])], add(f"PLANE('',#{axis})"), True)
            bottom.append(self.oriented(eb, False))
            top.append(self.oriented(et, True))
        self.bottom.append((outer, bottom[::-1]))
        self.top.append((outer, top))

    def circle(self, x: float, y: float, r: float, outer: bool) -> None:
        """A whole circle: the outside of a round solid (``outer``) or a round hole through it."""
        add, z0, z1 = self.out.add, self.z0, self.z1
        axes = []
        for z in (z0, z1):
            axes.append(add(f"AXIS2_PLACEMENT_3D('',#{self.point(x, y, z)},#{self.dir_z},#{self.dir_x})"))
        pb, pt = self.point(x + r, y, z0), self.point(x + r, y, z1)
        vb, vt = add(f"VERTEX_POINT('',#{pb})"), add(f"VERTEX_POINT('',#{pt})")
        cb = self.edge(vb, vb, f"CIRCLE('',#{axes[0]},{real(r)})")
        ct = self.edge(vt, vt, f"CIRCLE('',#{axes[1]},{real(r)})")
        seam = self.edge(vb, vt, f"LINE('',#{pb},#{self.up})")
        surface = add(f"CYLINDRICAL_SURFACE('',#{axes[0]},{real(r)})")
        # the side loop: the bottom circle along its sense for the outside, against it for a hole
        loop = [self.oriented(cb, outer), self.oriented(seam, True), self.oriented(ct, not outer)]
        self.face([(True, [*loop, self.oriented(seam, False)])], surface, outer)
        self.bottom.append((outer, [self.oriented(cb, not outer)]))
        self.top.append((outer, [self.oriented(ct, outer)]))

    def close(self) -> int:
        """The bottom and top faces, the shell and the solid: the solid's id."""
        add = self.out.add
        for z, bounds, sense in ((self.z0, self.bottom, False), (self.z1, self.top, True)):
            axis = add(f"AXIS2_PLACEMENT_3D('',#{self.point(0.0, 0.0, z)},#{self.dir_z},#{self.dir_x})")
            self.face(sorted(bounds, key=lambda b: not b[0]), add(f"PLANE('',#{axis})"), sense)
        shell = add(f"CLOSED_SHELL('',({','.join(f'#{f}' for f in self.faces)}))")
        return add(f"MANIFOLD_SOLID_BREP('',#{shell})")


def prism(
    out: Entities,
    rings: Sequence[Sequence[tuple[float, float]]],
    circles: Sequence[tuple[float, float, float, bool]],
    z0: float,
    z1: float,
    frame: Frame | None = None,
) -> int:
    """Write one prism from z0 to z1 (mm): ``rings`` straight rings, the first the outside
    unless a circle is (each oriented as shapely's ``orient(polygon, 1.0)`` gives it, without
    its closing point), ``circles`` (x, y, r, outer). Returns the MANIFOLD_SOLID_BREP's id."""
    solid = _Prism(out, z0, z1, frame)
    for k, ring in enumerate(rings):
        solid.ring(ring, outer=k == 0 and not any(c[3] for c in circles))
    for x, y, r, outer in circles:
        solid.circle(x, y, r, outer)
    return solid.close()
