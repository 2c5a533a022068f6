"""CAD: the whole pack as one coloured assembly, exported to STEP and GLB (and STL on request).

``build_cad(pack, layout, routing, out_folder)`` plans every part in shapely (millimetres,
z up from the enclosure floor's underside), writes the plan as files (the STEP as text, the
GLB and the pictures with numpy: no OCCT) and returns a ``CadResult``; ``cad_stage`` is the
pipeline's door (sets ``build.cad`` and puts the file bytes into ``build.files``). shapely and
numpy are imported only inside functions here: ``battc check`` must never pay that. (cadquery,
OCCT's binding, is a test dependency: the tests read pack.step back through it.)

The modules, in the order a build runs them:

* ``parts``: the plan's records (``Prism``, ``Instances``, ``Plan``), part kinds, progress steps;
* ``plan``: ``plan_pack``, every part as geometry in mm (no cadquery), in a step per part kind;
  ``channels``: the cold plate's coolant channels;
* ``solids``: a polygon with many holes cut into pieces, as the STEP writes it;
* ``brep``: a prism's B-rep as STEP entities (text);
* ``document``: pack.step's text, the AP214 assembly of the plan's parts;
* ``glb``: pack.glb (metres, y up, as glTF requires) written from the plan, each distinct solid
  tessellated once and placed by nodes, and reading its triangles back (for the STL);
* ``preview``: preview.png (an isometric cutaway) and preview_top.png rasterised from the plan, and
  pack.stl;
* ``step``: pack.step written atomically, and the process of its own large packs write it (and
  the previews) in;
* ``build``: ``build_cad``, the steps in order, and the figures of the built pack;
* ``stage``: ``cad_stage``, the pipeline's door (progress bar, diagnostics).

Parts (assembly names in brackets):

* cells (``cells/M1_cells/cell_NNNNN``): ONE solid per cell type, placed as instances
  (never fused), coloured by module as the pictures colour it (``emit.style``);
* busbars (``busbars/M1_busbars|module_links|terminals|leads/busbar_NNN``) extruded from
  ``routing.Busbar.polygon`` by its thickness on the cell face it names; pack terminal leads
  (busbars with a ``path``) sit on an insulated carrier ``CARRIER_GAP`` above the plates of that
  face; fuse links (``fuses/M1_fuses/fuse_NNNNN``) lie on the top plates over their cell (wire
  bond: a round wire; fuse link: a strip; the opening in the plate is not modelled);
* holders (``holders/M1_holder_bottom|top/tile_*``): cylindrical cells stand in a plastic plate
  per module at each end, a pocket per cell (exact circles, ``POCKET_CLEARANCE`` radial play);
  each plate is made of lattice tiles (a cell's Voronoi cell with its pocket) meeting edge to
  edge, identical tiles instanced, tiles cut by walls/keepouts solids of their own (those
  that are moved copies of one another share one, like any prism: ``_share_shapes``);
  prismatic/pouch modules get a frame (side and end plates as one ring) instead;
* cooling (``cooling/cold_plate``): an aluminium plate with a serpentine channel (one channel
  carries the flow) or parallel channels between two manifolds (Z-flow), cut as a void; the
  flow and the channels are the heat stage's (``passes.heat.design_flow``, ``channel_design``:
  at most ``CHANNEL_VELOCITY``, parallel channels spread over the plate);
* enclosure (``enclosure/floor|walls|lid|flange``): walls follow the envelope outline, a whole
  floor and lid, and an outward bolting flange. A keepout is space inside the box for another
  part: never a hole in the floor or lid, no wall around it; the holders, busbars and cold
  plate keep out of it, and the previews draw it as a ghost of its space.

Vertical stack, bottom to top: floor (``pack.enclosure``'s sheet) · cold plate (bottom cooling) ·
``TIM_GAP`` · bottom leads / carrier · bottom busbars · cells · top busbars · fuse links ·
carrier / top leads · cold plate (top cooling) · ``LID_CLEARANCE`` · lid. If that stack is taller
than the envelope the enclosure grows to fit and a W401 warning says by how much.

Exports: the GLB from the plan (numpy: no OCCT in this process for a large pack), preview.png
drawn from the plan, the assembly procedure's pictures (``cad_stage``); pack.step, for packs of
``STEP_PROCESS_CELLS`` cells or more, in a separate process (``step.main``, spawned before the
plan so that its imports overlap it) that writes the STEP from the pickled plan, then the
previews, while this one writes the GLB and the assembly pictures. A failure there comes back
as E802/E901.

Deterministic bytes: the STEP is written in one pass in the plan's order with a constant
FILE_NAME (no path, no time), the same bytes from either process;
the GLB carries no time or path; the PNG preview is rasterised here in numpy (no display, no
matplotlib) and written with zlib.

The names below are re-exported for the modules and tests that import ``battgen.emit.cad``.
Settings read at run time (``build.STEP_PROCESS_CELLS``) must be patched in their own module.
"""

from __future__ import annotations

from battgen.core.diagnostics import Span
from battgen.emit.cad.build import STEP_PROCESS_CELLS, build_cad
from battgen.emit.cad.parts import Instances, Plan, Prism
from battgen.emit.cad.plan import SHARE_TOLERANCE, plan_pack
from battgen.emit.cad.preview import render_preview
from battgen.emit.cad.stage import CadOutput, cad_stage
from battgen.emit.cad.step import StepExportError, write_step
from battgen.emit.cad.step import _StepProcess as _StepProcess
from battgen.passes.build import CadResult

__all__ = [
    "SHARE_TOLERANCE",
    "STEP_PROCESS_CELLS",
    "CadOutput",
    "CadResult",
    "Instances",
    "Plan",
    "Prism",
    "Span",
    "StepExportError",
    "build_cad",
    "cad_stage",
    "plan_pack",
    "render_preview",
    "write_step",
]
