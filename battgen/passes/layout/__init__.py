"""The layout pass: every cell placed in the envelope, grouped into parallel groups and modules."""

from battgen.passes.layout.grouping import (
    RELAX_MAX,
    Arrangement,
    Floor,
    SiteSearch,
    contacts,
    floor,
    layout_stage,
    place,
    sites,
    sites_for,
    verify,
)
from battgen.passes.layout.types import Layout, Module, ParallelGroup, PlacedCell, Placement, hex_columns

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
    "layout_stage",
    "place",
    "sites",
    "sites_for",
    "verify",
]
