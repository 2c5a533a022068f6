"""Finite-element modal and static analysis of thin plates (scikit-fem), for the enclosure's
floor and lid panels and each module on its mounts.

A panel is a Kirchhoff plate meshed from its outline (a polygon in metres): a structured
triangle grid over its bounding box, the triangles whose centroid lies outside the outline
removed (the boundary is then resolved to one grid step, ``mesh_step``), discretised with the
Morley element (the non-conforming quadratic plate element: deflection at the vertices, normal
slope at the edge midpoints; L. S. D. Morley, Aeronaut. Q. 19 (1968) 149; scikit-fem's
``ElementTriMorley``). Stiffness ∫ D·[(1−ν)·κ:κ' + ν·tr κ·tr κ'] with κ the Hessian of the
deflection, mass ∫ m″·w·w' with m″ the areal mass (the sheet plus whatever it carries,
smeared). Supports: the whole edge simply supported (deflection zero on the boundary) or
clamped (and the normal slope), or points (the nearest vertices held: bolts). The lowest
modes come from ``scipy.sparse.linalg.eigsh`` in shift-invert mode about zero with a fixed
start vector (the same bytes every run).

Checked against the closed forms (tests/test_structure.py): the simply supported square's
first frequency (Navier) and a clamped-free strip against the Euler–Bernoulli cantilever, each
within 1 %. scikit-fem is imported here only, and this module only by the structure stage.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from battgen.core.memo import Remembered

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

# Grid cells along the panel's longer side: about 1,500-2,500 degrees of freedom, 0.1-0.3 s a
# solve; the first frequency of a simply supported rectangle is then within 0.6 % of Navier's
# (1000 x 800 x 3 mm 6061: 18.54 Hz against 18.65 Hz; 32 cells: 18.59 Hz).
CELLS_LONG_SIDE = 24
G = 9.80665  # m/s², the static load case of ``solve`` (1 g)


@dataclass(frozen=True)
class Plate:
    """A plate's section: bending stiffness D (N·m), Poisson's ratio, areal mass (kg/m²), and
    the distance from its neutral plane to its outer fibre (m) with that fibre's modulus (Pa),
    for the bending stress E·z·κ/(1 − ν²)."""

    rigidity: float
    poisson: float
    areal_mass: float
    fibre: float
    fibre_modulus: float


@dataclass(frozen=True)
class ModalResult:
    frequencies: tuple[float, ...]  # Hz, lowest first
    dofs: int
    elements: int
    mesh_step: float  # m


@dataclass(frozen=True)
class StaticResult:
    """A uniform body load's response: largest deflection (m), largest bending stress at the
    outer fibre (Pa) and where (m)."""

    deflection: float
    stress: float
    at: tuple[float, float]


def _lines(lo: float, hi: float, step: float, through: list[float]) -> np.ndarray:
    """Grid lines from ``lo`` to ``hi`` about ``step`` apart that pass through ``through``
    (points within a third of a step of another line are moved onto it: no sliver elements)."""
    fixed = [lo, hi]
    for x in sorted(through):
        if lo < x < hi and min(abs(x - f) for f in fixed) >= step / 3.0:
            fixed.append(x)
    n = max(int(math.ceil((hi - lo) / step)), 2)
    base = np.linspace(lo, hi, n + 1)
    anchors = np.array(fixed)
    free = base[np.min(np.abs(base[:, None] - anchors[None, :]), axis=1) >= step / 3.0]
    return np.unique(np.concatenate([free, anchors]))


def mesh(outline: BaseGeometry, cells_long_side: int = CELLS_LONG_SIDE, points=()):
    """A triangle mesh (scikit-fem ``MeshTri``) of ``outline`` and its grid step, m; its grid
    lines pass through ``points`` (the bolts then sit on nodes, not between them)."""
    import shapely
    from skfem import MeshTri

    x0, y0, x1, y1 = outline.bounds
    step = max(x1 - x0, y1 - y0) / cells_long_side
    xs = _lines(x0, x1, step, [p[0] for p in points])
    ys = _lines(y0, y1, step, [p[1] for p in points])
    m = MeshTri.init_tensor(xs, ys)
    centroids = m.p[:, m.t].mean(axis=1)
    inside = shapely.contains_xy(outline, centroids[0], centroids[1])
    if not inside.all():
        m = m.remove_elements(np.flatnonzero(~inside))
    return _largest_piece(m), step


def _largest_piece(m):
    """The mesh's largest edge-connected piece (a jagged outline can leave triangles joined to
    the rest by a vertex only: a free mechanism in a plate model)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    f2t = m.f2t
    inner = f2t[1] >= 0
    a, b = f2t[0, inner], f2t[1, inner]
    n = m.t.shape[1]
    count, label = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)
    if count == 1:
        return m
    largest = np.argmax(np.bincount(label))
    return m.remove_elements(np.flatnonzero(label != largest))


@functools.cache
def _morley_class():
    """scikit-fem's ``ElementTriMorley`` with its global basis built for all six local
    functions at once (the same floating-point operations, in the same order, as scikit-fem's
    ``ElementGlobal.gbasis``: the same bits) and its power basis made once a process.

    scikit-fem builds each local function separately, evaluating every monomial and its
    derivatives again for each (6 × 42 array operations an element set, 26 of the 42 terms
    derivatives that vanish, and 42 ``eval``-made lambdas an element object): a third of the
    structure stage on the Model S."""
    from skfem import ElementTriMorley
    from skfem.element.discrete_field import DiscreteField

    class Morley(ElementTriMorley):
        V: Any  # the inverse Vandermonde matrix of every element (scikit-fem's; None until made)
        _pbasis: dict
        _shared_pbasis: dict | None = None
        _all: tuple | None = None  # (mapping, X, the six DiscreteFields) of the last element set

        def _pbasis_init(self, maxdeg, dim, Ndiff, is_tensorial=False):
            # the monomials are pure functions of (maxdeg, dim, Ndiff): made once, shared
            cls = type(self)
            if cls._shared_pbasis is None:
                super()._pbasis_init(maxdeg, dim, Ndiff, is_tensorial)
                cls._shared_pbasis = self._pbasis
            self._pbasis = cls._shared_pbasis

        def gbasis(self, mapping, X, i, tind=None):
            if tind is not None:
                return super().gbasis(mapping, X, i, tind)
            if self._all is None or self._all[0] is not mapping or self._all[1] is not X:
                self._all = (mapping, X, self._every(mapping, X))
            return (self._all[2][i],)

        def _every(self, mapping, X):
            """The six local functions' values, gradients and Hessians on every element:
            U_i += V[:, p, i]·P_p for each monomial p in order, as ``ElementGlobal.gbasis``."""
            if self.V is None:
                self._pbasis_init(self.maxdeg, self.dim, self.derivatives, self.tensorial_basis)
                self.V = np.linalg.inv(self._eval_dofs(mapping.mesh))
            x = mapping.F(X)
            count = self.V.shape[2]
            out = [np.zeros((count,) + (self.dim,) * k + x[0].shape) for k in range(self.derivatives + 1)]
            coefficients = [np.ascontiguousarray(self.V[:, p, :].T)[:, :, None] for p in range(self.V.shape[1])]
            for k in range(self.derivatives + 1):
                for p in range(len(self._pbasis[()])):
                    for diff in itertools.product(range(self.dim), repeat=k):
                        power = self._pbasis[diff][p](*x)
                        # a monomial differentiated away is 0: adding V·0 (±0, V finite) to a sum
                        # that starts at +0 changes no bit of it, so it is skipped
                        if power.any():
                            index: tuple[Any, ...] = (slice(None), *diff)
                            out[k][index] += coefficients[p] * power
            return [DiscreteField(value=out[0][i], grad=out[1][i], hess=out[2][i]) for i in range(count)]

    return Morley


def _forms(plate: Plate):
    from skfem import BilinearForm
    from skfem.helpers import dd, ddot, trace

    d, nu, mass = plate.rigidity, plate.poisson, plate.areal_mass

    @BilinearForm
    def stiffness(u, v, w):
        hu, hv = dd(u), dd(v)
        return d * ((1.0 - nu) * ddot(hu, hv) + nu * trace(hu) * trace(hv))

    @BilinearForm
    def inertia(u, v, w):
        return mass * u * v

    return stiffness, inertia


def _matrices(basis, plate: Plate):
    """The stiffness and mass matrices (scipy CSR) of ``_forms`` on ``basis``, every pair of
    local functions at once: per element and quadrature point the same floating-point
    operations as scikit-fem's ``BilinearForm.assemble`` of those forms (the form, times the
    quadrature weight, summed over the points; the pairs in its order, duplicates summed by
    ``tocsr``), so the same bits, without its 2 × 36 Python-level kernel calls a mesh."""
    from scipy.sparse import coo_matrix

    d, nu, mass = plate.rigidity, plate.poisson, plate.areal_mass
    count = len(basis.basis)
    hess = np.moveaxis(np.stack([b[0].hess for b in basis.basis]), 0, 2)  # (2, 2, local, elements, points)
    hu, hv = hess[:, :, :, None], hess[:, :, None, :]  # u: the trial function j, v: the test function i
    trace_u, trace_v = np.einsum("ii...", hu), np.einsum("ii...", hv)
    stiffness = d * ((1.0 - nu) * np.einsum("ij...,ij...", hu, hv) + nu * trace_u * trace_v)
    value = np.stack([np.asarray(b[0]) for b in basis.basis])
    inertia = mass * value[:, None] * value[None, :]
    dofs = basis.element_dofs.astype(np.int32)
    rows = np.broadcast_to(dofs[None, :, :], (count, count, dofs.shape[1])).reshape(-1)
    cols = np.broadcast_to(dofs[:, None, :], (count, count, dofs.shape[1])).reshape(-1)
    out = []
    for form in (stiffness, inertia):
        data = np.sum(form * basis.dx, axis=-1).reshape(-1)
        matrix = coo_matrix((data, (rows, cols)), shape=(basis.N, basis.N))
        matrix.eliminate_zeros()
        out.append(matrix.tocsr())
    return out[0], out[1]


def _fixed(basis, m, supports: str, points: tuple[tuple[float, float], ...], edge=None) -> np.ndarray:
    """The degrees of freedom held: the boundary's deflections (and slopes, clamped), or the
    deflection at the vertex nearest each point. ``edge``: a predicate on points (2 × n array)
    choosing the part of the boundary held (None: all of it)."""
    if supports == "points":
        nodes = {int(np.argmin((m.p[0] - x) ** 2 + (m.p[1] - y) ** 2)) for x, y in points}
        return np.array(sorted(basis.nodal_dofs[0, n] for n in nodes), dtype=np.int64)
    facets = m.boundary_facets() if edge is None else m.facets_satisfying(edge, boundaries_only=True)
    boundary = basis.get_dofs(facets)
    held = [boundary.nodal["u"]]
    if supports == "clamped":
        held.append(boundary.facet["u_n"])
    return np.unique(np.concatenate(held))


def modes(
    outline: BaseGeometry,
    plate: Plate,
    supports: str = "simple",
    points: tuple[tuple[float, float], ...] = (),
    count: int = 3,
    cells_long_side: int = CELLS_LONG_SIDE,
    edge=None,
) -> ModalResult:
    """The lowest ``count`` natural frequencies, Hz, of the plate over ``outline`` with its
    edge ``simple``-supported or ``clamped`` (all of it, or where ``edge`` holds), or held at
    ``points``."""
    from skfem import Basis, ElementTriMorley, condense

    m, step = mesh(outline, cells_long_side, points)
    basis = Basis(m, ElementTriMorley())
    stiffness, inertia = _forms(plate)
    k, mm = stiffness.assemble(basis), inertia.assemble(basis)
    fixed = _fixed(basis, m, supports, points, edge)
    kc, mc, _, _ = condense(k, mm, D=fixed)
    freqs = _lowest(kc.tocsc(), mc.tocsc(), count)
    return ModalResult(tuple(float(f) for f in freqs), int(kc.shape[0]), int(m.t.shape[1]), float(step))


def static(
    outline: BaseGeometry,
    plate: Plate,
    load: float,
    supports: str = "simple",
    points: tuple[tuple[float, float], ...] = (),
    cells_long_side: int = CELLS_LONG_SIDE,
) -> StaticResult:
    """Deflection and outer-fibre bending stress under a uniform pressure ``load`` (Pa: the
    areal mass times an acceleration)."""
    from skfem import Basis, ElementTriMorley, LinearForm, condense, solve

    m, _ = mesh(outline, cells_long_side, points)
    basis = Basis(m, ElementTriMorley())
    stiffness, _ = _forms(plate)

    @LinearForm
    def pressure(v, w):
        return load * v

    k, f = stiffness.assemble(basis), pressure.assemble(basis)
    fixed = _fixed(basis, m, supports, points)
    u = solve(*condense(k, f, D=fixed))
    # principal curvatures, then σ = E·z/(1 − ν²)·(κ₁ + ν·κ₂) at the fibre
    stress, at, deflection = _stress(basis, m, plate, u)
    return StaticResult(deflection, stress, at)


# The language server builds the same placement again and again while only the busbars change
# (the structure stage reads the routing for its busbar joints): the plate solves, which follow
# from the outline, the section and the supports alone, are remembered for the last few, by
# exactly what they read (the outline's WKB bytes, the section's and the points' floats), the
# least recently used first out. The Model S and the sedan each solve 9 plates a build.
_SOLVED = Remembered(64)


def solve(
    outline: BaseGeometry,
    plate: Plate,
    supports: str = "simple",
    points: tuple[tuple[float, float], ...] = (),
    count: int = 3,
    cells_long_side: int = CELLS_LONG_SIDE,
) -> tuple[ModalResult, StaticResult]:
    """``modes`` and ``static`` at 1 g (the plate's own areal mass times g) on one mesh and one
    stiffness matrix; what it gave before for the same inputs, bit for bit (see ``_SOLVED``)."""
    import shapely

    key = (shapely.to_wkb(outline), plate, supports, tuple(points), count, cells_long_side)
    return _SOLVED.get(key, lambda: _solve(outline, plate, supports, points, count, cells_long_side))


def _solve(
    outline: BaseGeometry,
    plate: Plate,
    supports: str,
    points: tuple[tuple[float, float], ...],
    count: int,
    cells_long_side: int,
) -> tuple[ModalResult, StaticResult]:
    from scipy.sparse.linalg import splu
    from skfem import Basis, LinearForm

    m, step = mesh(outline, cells_long_side, points)
    basis = Basis(m, _morley_class()())
    k, mm = _matrices(basis, plate)
    load = plate.areal_mass * G

    @LinearForm
    def pressure(v, w):
        return load * v

    f = pressure.assemble(basis)
    fixed = _fixed(basis, m, supports, points)
    free = np.setdiff1d(np.arange(basis.N), fixed)
    kc, mc, fc = k[free][:, free].tocsc(), mm[free][:, free].tocsc(), f[free]
    n = kc.shape[0]
    factor = splu(kc)  # one factorisation for the shift-invert modes and the static solve
    freqs = _lowest(kc, mc, count, factor)
    u = np.zeros(basis.N)
    u[free] = factor.solve(fc)
    stress, at, deflection = _stress(basis, m, plate, u)
    return ModalResult(tuple(float(x) for x in freqs), int(n), int(m.t.shape[1]), float(step)), StaticResult(
        deflection, stress, at
    )


def _lowest(k, m, count: int, factor=None) -> np.ndarray:
    """The ``count`` lowest natural frequencies, Hz, of stiffness ``k`` and mass ``m``:
    ARPACK in shift-invert mode about zero (the supports make ``k`` positive definite; a
    shift below zero stalls ARPACK on Morley's nearly massless slope freedoms), with a fixed
    start vector (the same answer every run). A plate its supports do not hold (a mechanism)
    has a zero frequency. ``factor``: ``splu(k)`` when the caller has it (about zero the shift
    inverts ``k`` itself: ARPACK would factorise it again, the same way)."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    n = k.shape[0]
    inverse = None
    if factor is not None:
        inverse = LinearOperator(k.shape, matvec=lambda x: factor.solve(np.asarray(x, dtype=k.dtype)), dtype=k.dtype)
    # M·x straight to the sparse product (the same kernel eigsh reaches through its operator
    # wrapping of a matrix, without its five layers of calls on each of ~70 products a solve)
    mass = LinearOperator(m.shape, matvec=m.__matmul__, dtype=m.dtype)
    try:
        values = eigsh(
            k,
            k=min(count, n - 2),
            M=mass,
            sigma=0.0,
            which="LM",
            v0=np.ones(n),
            return_eigenvectors=False,
            OPinv=inverse,
        )
    except RuntimeError:  # a singular stiffness: the supports leave a rigid-body motion free
        return np.zeros(min(count, n - 2))
    return np.sqrt(np.clip(np.sort(values), 0.0, None)) / (2.0 * math.pi)


def _stress(basis, m, plate: Plate, u: np.ndarray) -> tuple[float, tuple[float, float], float]:
    """(largest outer-fibre bending stress Pa, where, largest deflection m) of the field ``u``."""
    hess = basis.interpolate(u).hess  # (2, 2, elements, quadrature points); constant per Morley element
    kxx, kyy, kxy = hess[0, 0].mean(axis=1), hess[1, 1].mean(axis=1), hess[0, 1].mean(axis=1)
    mean, radius = (kxx + kyy) / 2.0, np.sqrt(((kxx - kyy) / 2.0) ** 2 + kxy**2)
    k1, k2 = mean + np.sign(mean) * radius, mean - np.sign(mean) * radius
    sigma = plate.fibre_modulus * plate.fibre / (1.0 - plate.poisson**2) * np.abs(k1 + plate.poisson * k2)
    worst = int(np.argmax(sigma))
    centre = m.p[:, m.t[:, worst]].mean(axis=1)
    return float(sigma[worst]), (float(centre[0]), float(centre[1])), float(np.abs(u[basis.nodal_dofs[0]]).max())
