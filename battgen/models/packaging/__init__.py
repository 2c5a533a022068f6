"""Pack mass, bottom-up, with the structure of Argonne's BatPaC; pack volume.

**Mass** is the sum of parts (``components``), each from a published figure or a design rule the
CAD stage draws to. The structure — cells, per-cell hardware, per-module hardware, module row
racks, the cooling system inside the pack, the pack jacket, BMS and disconnect unit, pack
terminals — is BatPaC 5.0's (Argonne National Laboratory, *Battery Performance and Cost Model*,
Version 5.0, 2022, BSD-3; the workbook ``BatPaC.xlsm`` as distributed in
github.com/rginster/batpy at commit 1dfe408c, read cell by cell, no macros run). "BatPaC row N"
is a row of its sheet 'Battery Design' unless another sheet is named. Densities are BatPaC's
named constants (sheet 'Lists' rows 21–30): aluminium 2.70, copper 8.96, steel 7.8 g/cm³.

The modules, one a group of BatPaC's parts (each says what it weighs and from which rows):

* ``spec``: what the model needs of a pack (``Spec``) and how it is read from the IR;
* ``materials``: BatPaC's densities and copper's constants, the moduli;
* ``cells``: per cell — holders, fins, the busbar allowance;
* ``modules``: per module — walls and covers, end plates and bands, interconnect boards, module
  electronics — and the racks that hold the modules in rows;
* ``cooling``: the cold plate, coolant and gap filler, air cooling, the heater;
* ``jacket``: the enclosure floor, lid, walls and frame, and the box without an envelope;
* ``electrics``: the BMS, the junction box, the pack terminals, copper's sizing rule;
* ``volume``: pack volume (Löbberding's surveyed ratios without an envelope);
* ``pack``: the whole pack, part by part (``components``), in the bill of materials' order.

This package re-exports the names the stages and tests use (``packaging.components``,
``packaging.jacket``, ``packaging.MODULE_WALL``, ...).

Published packs against this model: ``battgen/validation.py`` and docs/validation.md (no
constant here was fitted to them).
"""

from battgen.models.packaging.cells import (
    CONDUCTOR_THICKNESS,
    HOLDER_DENSITY,
    HOLDER_THICKNESS,
    POCKET_CLEARANCE,
    fin_mass,
    holder_mass,
    holder_thickness,
)
from battgen.models.packaging.cooling import (
    CHANNEL_COVERAGE,
    CHANNEL_HEIGHT,
    COOLANT_DENSITY,
    PLATE_RIM,
    PLATE_SKIN,
    TIM_DENSITY,
    TIM_THICKNESS,
    plate_mass,
)
from battgen.models.packaging.electrics import CELLS_PER_ASIC, conductor_section
from battgen.models.packaging.jacket import (
    HEIGHT_ALLOWANCE,
    INSULATION_DENSITY,
    LID_CLEARANCE,
    Jacket,
    angle_iron_section,
    enclosure_wall,
    equal_stiffness_thickness,
    isolation_distance,
    jacket,
    jacket_parts,
)
from battgen.models.packaging.materials import AL_MODULUS, RHO_AL, RHO_STEEL, STEEL_MODULUS
from battgen.models.packaging.modules import (
    GAS_RELEASE,
    MODULE_WALL,
    MODULES_PER_ROW,
    ROARK_BETA,
    ROARK_RATIO,
    SENSE_BOARD,
    SWELLING_PRESSURE,
    WALL_CLEARANCE,
    end_plate_thickness,
    module_box,
    module_parts,
    module_shares,
    modules_volume,
    rack_mass,
    roark_beta,
)
from battgen.models.packaging.pack import (
    GROUPS,
    MODULE_PARTS,
    PARTS,
    components,
    components_for,
    grouped,
    pack_mass,
    pack_mass_for,
)
from battgen.models.packaging.spec import (
    LIQUID,
    Spec,
    enclosure_box,
    enclosure_outer,
    spec_for,
    with_box,
)
from battgen.models.packaging.volume import cooling_factors, pack_mass_range, pack_volume, pack_volume_for

__all__ = [
    "AL_MODULUS",
    "CELLS_PER_ASIC",
    "CHANNEL_COVERAGE",
    "CHANNEL_HEIGHT",
    "CONDUCTOR_THICKNESS",
    "COOLANT_DENSITY",
    "GAS_RELEASE",
    "GROUPS",
    "HEIGHT_ALLOWANCE",
    "HOLDER_DENSITY",
    "HOLDER_THICKNESS",
    "INSULATION_DENSITY",
    "LID_CLEARANCE",
    "LIQUID",
    "MODULES_PER_ROW",
    "MODULE_PARTS",
    "MODULE_WALL",
    "PARTS",
    "PLATE_RIM",
    "PLATE_SKIN",
    "POCKET_CLEARANCE",
    "RHO_AL",
    "RHO_STEEL",
    "ROARK_BETA",
    "ROARK_RATIO",
    "SENSE_BOARD",
    "STEEL_MODULUS",
    "SWELLING_PRESSURE",
    "TIM_DENSITY",
    "TIM_THICKNESS",
    "WALL_CLEARANCE",
    "Jacket",
    "Spec",
    "angle_iron_section",
    "components",
    "components_for",
    "conductor_section",
    "cooling_factors",
    "enclosure_box",
    "enclosure_outer",
    "enclosure_wall",
    "end_plate_thickness",
    "equal_stiffness_thickness",
    "fin_mass",
    "grouped",
    "holder_mass",
    "holder_thickness",
    "isolation_distance",
    "jacket",
    "jacket_parts",
    "module_box",
    "module_parts",
    "module_shares",
    "modules_volume",
    "pack_mass",
    "pack_mass_for",
    "pack_mass_range",
    "pack_volume",
    "pack_volume_for",
    "plate_mass",
    "rack_mass",
    "roark_beta",
    "spec_for",
    "with_box",
]
