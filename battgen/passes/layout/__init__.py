"""The layout pass: every cell placed in the envelope, grouped into parallel groups and modules.

``place(pack, candidate) -> Layout | Diagnostic`` is pure and deterministic. It works in
three steps, each a module here:

1. **Floor** (``floor``): the envelope outline, less the wall, less the keepouts; the layers
   the height allows.
2. **Sites** (``sites``): the cell centres of the best row arrangement found (hex, square,
   stretched hex rows, rows of stacks), counted exactly; when the lattice is short, round cells
   relaxed off it (``relax``).
3. **Grouping** (``grouping``): the sites cut into parallel groups of touching cells along
   serpentine paths (or grown over the contact graph for relaxed sites), ranked by compactness,
   module blocks and series links; ``build`` turns the winner into the ``Layout`` (``types``).

``place`` runs the three for one candidate, ``layout_stage`` (in ``stage``) for each
architecture the design loop tries, and ``verify`` re-checks every invariant from the placed
cells alone.

The functions re-exported here share their names with the modules that hold them (``floor``,
``sites``, ``place``, ``verify``): ``battgen.passes.layout.floor`` is the function; reach the
rest of such a module with ``from battgen.passes.layout.floor import QUAD``.
"""

from battgen.passes.layout.floor import Floor, floor
from battgen.passes.layout.grouping import contacts
from battgen.passes.layout.place import place
from battgen.passes.layout.sites import RELAX_MAX, Arrangement, SiteSearch, sites, sites_for
from battgen.passes.layout.stage import capacity, layout_stage
from battgen.passes.layout.types import Layout, Module, ParallelGroup, PlacedCell, Placement, hex_columns
from battgen.passes.layout.verify import verify

__all__ = [
    "RELAX_MAX",
    "Arrangement",
    "Floor",
    "Layout",
    "Module",
    "ParallelGroup",
    "PlacedCell",
    "Placement",
    "SiteSearch",
    "contacts",
    "floor",
    "hex_columns",
    "capacity",
    "layout_stage",
    "place",
    "sites",
    "sites_for",
    "verify",
]
