"""How many cells the envelope can hold before the layout pass has placed any: an upper bound
from its floor area and height (``envelope_capacity``), and the pieces keepouts cut its floor
into (``split_floor``), one of which a string must fit.

Synthesis screens every candidate against this bound; the design loop replaces it with the
layout's count (``synthesize(placed_capacity=...)``)."""

from __future__ import annotations

import math

from battgen.core import ir
from battgen.core.limits import MAX_LAYERS
from battgen.passes.floorplan import Pieces, floor_pieces

# --- envelope capacity --------------------------------------------------------------------


def envelope_capacity(pack: ir.Pack) -> int | None:
    """An upper bound on the cells the envelope can hold: usable floor area over the area
    each cell takes in the best lattice the layout allows, times the layers the height
    allows. The layout pass replaces this with the real count."""
    envelope = pack.envelope
    if envelope is None:
        return None
    cell = pack.cell.format
    outline = envelope.outline
    area = outline.area - outline.perimeter * envelope.wall
    for keepout in envelope.keepouts:
        area -= keepout.shape.area
    area = max(area, 0.0)
    gap = pack.gap
    if cell.kind == "cylindrical":
        pitch = cell.diameter + gap
        per_cell = pitch * pitch * (math.sqrt(3) / 2 if pack.layout in ("hex", "auto") else 1.0)
    else:
        per_cell = (cell.width + gap) * (cell.thickness + gap)
    layers = max(min(int(envelope.height // cell.height), pack.layers, MAX_LAYERS), 0)
    capacity = int(area / per_cell) * layers
    pieces = split_floor(pack)
    if pieces is not None:  # a string of cells stays in one piece: count the largest
        capacity = int(capacity * pieces.largest_share)
    return capacity


def split_floor(pack: ir.Pack) -> Pieces | None:
    """The pieces of the pack's floor when keepouts (or a polygon outline) cut it in several
    and one string must fit one of them; None when it is one piece (or strings may spread)."""
    envelope = pack.envelope
    if envelope is None or pack.strings != 1 or not (envelope.keepouts or envelope.outline.kind == "polygon"):
        return None
    cell = pack.cell.format
    half = cell.diameter / 2 if cell.kind == "cylindrical" else min(cell.width, cell.thickness) / 2
    pieces = floor_pieces(envelope, half)
    return pieces if pieces.count > 1 else None
