"""CAD: the whole pack as one coloured assembly, exported to STEP and GLB (and STL on request).

``build_cad(pack, layout, routing, out_folder)`` plans every part in shapely (millimetres,
z up from the enclosure floor's underside), realises the plan as one XCAF assembly document
with OCP (CadQuery's OCCT binding, used directly: cadquery's Assembly costs seconds of Python
for 18,000 parts), exports and returns a ``CadResult``; ``cad_stage`` is the pipeline's door
(sets ``build.cad`` and puts the file bytes into ``build.files``). cadquery/OCP are imported
only inside functions here (and in the STEP process, which only this package starts):
importing them costs seconds and ``battc check`` must never pay that.

The modules, in the order a build runs them:

* ``parts``: the plan's records (``Prism``, ``Instances``, ``Plan``), part kinds, progress steps;
* ``plan``: ``plan_pack``, every part as geometry in mm (no cadquery), in a step per part kind;
  ``channels``: the cold plate's coolant channels;
* ``solids``: the plan's parts as OCP shapes, and the placements of instances;
* ``document``: the XCAF assembly document the STEP is written from;
* ``glb``: pack.glb (metres, y up, as glTF requires) written from the plan, each distinct solid
  tessellated once and placed by nodes, and reading its triangles back (for the STL);
* ``preview``: preview.png (an isometric cutaway) and preview_top.png rasterised from the plan, and
  pack.stl;
* ``step``: pack.step with deterministic bytes, and the process of its own large packs write it in;
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
plan so that its imports overlap it) that builds the XCAF document from the pickled plan and
writes it while this one writes the GLB, the previews and the pictures. A failure there comes
back as E802/E901 (E803 if OCP cannot be imported).

Deterministic bytes: the STEP header's FILE_NAME (path and timestamp) is replaced by constants,
NAUO ids and style entities renumbered in a fixed order (the same bytes from either process);
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
from battgen.emit.cad.solids import _prism_shape as _prism_shape
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
