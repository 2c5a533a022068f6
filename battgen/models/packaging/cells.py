"""Per-cell parts of the mass model — cell holders, conduction fins, the busbar allowance — and
the cell's lattice share of the floor they are drawn over (rows: BatPaC 5.0's, ``models.packaging``).

* *holders* (cylindrical): a plastic plate at each end of every cell, the cell's share of the
  lattice (pitch² · √3/2 hex, pitch² square) less its pocket (radius + 0.2 mm), 5 mm thick or a
  fifth of the cell's height, 10 µm clear of each neighbour's; polycarbonate 1.20 g/cm³ (Covestro
  Makrolon 2405 data sheet, ISO 1183). A design rule: the CAD stage draws these tiles (those at the
  pack's edge reach its walls, which the bill of materials weighs as drawn).
* *fins* (pouch with a liquid cold plate, BatPaC's design): an aluminium heat conductor
  wrapping each cell, one more than the cells of a module, 0.4 mm (BatPaC row 335; 'Vehicle
  Considerations' row 34, EV), a U of the cell face plus flanges of 0.95 × the cell thickness
  on both edges, as long as the cell is wide (BatPaC's runs the electrode length + 6 mm, which a
  cell declaration does not give: the face's width is the upper bound). ``fins = t`` declared
  instead: a flat fin of t over the cell face between every two cells (Chevrolet Volt: 144 fins of 1 mm between 288 cells, electronics-cooling.com,
  "Hybrid's liquid system allows Chevy to offer cool warranty", 2010; the Bolt's "metal 'fins'
  that go between the cell pouches", insideevs.com). ``side = sides``: those fins carry the
  coolant themselves (the Volt), and there is no plate.
* *busbars*: an allowance for what routing draws (series plates, module links, terminal
  leads): the busbar sheet over the cells' lattice share on each face that carries a plate (both
  ends of a cylindrical cell; the tab end of a flat one). The bill of materials replaces it with
  the routed busbars and fuse links.
"""

from __future__ import annotations

import math

import numpy as np

from battgen.models.packaging.materials import RHO_AL
from battgen.models.packaging.spec import Floats, Spec

# --- per cell ---------------------------------------------------------------------------------
HOLDER_THICKNESS = 0.005  # m each end plate, at most a fifth of the cell height (design rule)
POCKET_CLEARANCE = 0.0002  # m radial play of a cell in its pocket (design rule)
HOLDER_GAP = 0.00001  # m each tile keeps clear of its neighbours' (the CAD stage's 10 µm)
HOLDER_DENSITY = 1200.0  # kg/m³ polycarbonate (Makrolon 2405 data sheet, ISO 1183)
CONDUCTOR_THICKNESS = 0.0004  # m, BatPaC 'Vehicle Considerations' row 34 (EV: 0.04 cm)
FLANGE_FRACTION = 0.95  # BatPaC row 335: each flange 0.95 × the cell thickness
SIDE_FIN = 0.001  # m, the Volt's liquid fins (electronics-cooling.com, 2010)


def lattice_area(spec: Spec) -> float:
    """Floor area per cell in the lattice, m²: (d + gap)²·√3/2 hex or (d + gap)² square for round
    cells, (width + gap)·(thickness + gap + fin share) for flat ones."""
    a, t, _ = spec.dims
    if spec.fmt == "cylindrical":
        pitch = a + spec.gap
        return pitch * pitch * (math.sqrt(3) / 2 if spec.lattice in ("hex", "auto") else 1.0)
    return (a + spec.gap) * (t + spec.gap + _fin_share(spec))


def cooled_face(spec: Spec) -> float:
    """The cell's face on the cold plate, m²: a round cell's end, a flat cell's edge."""
    a, t, _ = spec.dims
    return math.pi / 4 * a * a if spec.fmt == "cylindrical" else a * t


def holder_thickness(spec: Spec) -> float:
    return min(HOLDER_THICKNESS, spec.dims[2] / 5)


def holder_mass(spec: Spec) -> float:
    """Both holder plates of one cylindrical cell, kg: its lattice tile, ``HOLDER_GAP`` clear of
    its neighbours' on every edge, less its pocket."""
    if spec.fmt != "cylindrical":
        return 0.0
    pocket = spec.dims[0] / 2 + POCKET_CLEARANCE
    apothem = (spec.dims[0] + spec.gap) / 2  # a hexagonal or square tile's
    tile = lattice_area(spec) * ((apothem - HOLDER_GAP) / apothem) ** 2
    return 2 * holder_thickness(spec) * (tile - math.pi * pocket**2) * HOLDER_DENSITY


def _conductors(spec: Spec) -> bool:
    """BatPaC's wrapped conductor: pouch cells on a liquid plate with no fins declared."""
    return spec.fmt == "pouch" and spec.plate and spec.fins is None


def _flat_fin(spec: Spec) -> float:
    """Thickness of the flat fin between every two flat cells, m: declared, or the Volt's 1 mm
    liquid fins of ``side = sides``; 0 for none."""
    if not spec.flat:
        return 0.0
    if spec.fins:
        return spec.fins
    return SIDE_FIN if spec.liquid and spec.side == "sides" else 0.0


def _fin_share(spec: Spec) -> float:
    """Stack length a cell's fins add, m."""
    return CONDUCTOR_THICKNESS if _conductors(spec) else _flat_fin(spec) / 2


def fin_mass(spec: Spec, n: Floats, modules: Floats) -> np.ndarray:
    """Conduction fins, kg (arrays ok): BatPaC's conductors (one per cell and one more per
    module), or flat fins (declared, or the liquid fins of side cooling), one per two cells."""
    n = np.asarray(n, float)
    a, t, h = spec.dims
    if _conductors(spec):
        profile = (h + 2 * CONDUCTOR_THICKNESS) + 2 * FLANGE_FRACTION * t
        length = spec.fin_length if spec.fin_length is not None else a
        return (n + np.asarray(modules, float)) * length * profile * CONDUCTOR_THICKNESS * RHO_AL
    return n / 2 * a * h * _flat_fin(spec) * RHO_AL


def busbar_allowance(spec: Spec, n: Floats) -> np.ndarray:
    """The busbars routing will draw, kg (arrays ok): the busbar sheet over the cells' lattice
    share on each face that carries plates (two for round cells, the tab end of flat ones)."""
    density, thickness = spec.busbar
    faces = 2 if spec.fmt == "cylindrical" else 1
    return faces * np.asarray(n, float) * lattice_area(spec) * thickness * density
