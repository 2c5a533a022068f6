"""Routing: busbar plates, pack terminal leads, fuse links and the solved resistor network.

``route(pack, layout, candidate) -> Routing | Diagnostic`` reads only ``layout.types`` and the
IR; ``routing_stage`` is the pipeline's door (sets ``build.routing``). The modules, in the order
the pass uses them:

* ``types`` — what the pass produces: ``Routing``, ``Busbar``, ``FuseLink``, ``NetworkSolution``;
* ``junctions`` — every cell terminal as a point on a face, and the plate (series junction or
  pack terminal) that owns it;
* ``iec60664`` — IEC 60664-1's creepage, impulse-voltage and clearance tables;
* ``sizing`` — conductor sizing (BatPaC heating rate, DIN 43671 steady rise, IEC 60949
  withstand);
* ``geometry`` — the snap grid and robust shapely operations the plates, bridges and leads share;
* ``context`` — what every step reads, built once per call;
* ``plates`` — each owner's plate from the Voronoi split of its face, kept clear by creepage;
* ``bridges`` — plates that fell apart, bridged in the plane or joined by insulated jumpers;
* ``busbars`` — each plate measured, sized and recorded as busbars; the W401 findings;
* ``leads`` — the pack terminal leads, routed through the free floor to the envelope wall;
* ``fuses`` — fuse links, conduction-cooled at both ends (a fin with Joule heating; bond wires
  or strips): ``size_fuse``;
* ``isolation`` — the live parts against the enclosure's walls, keepouts, floor and lid;
* ``network`` — the resistance ``Network`` and its solver, and liionpack's ``ladder_network``;
* ``netlist`` — the routed pack's network from its geometry;
* ``router`` — ``route`` and ``route_with_network``: the steps in order;
* ``stage`` — ``routing_stage``.

This package re-exports the names other passes, the emitters, tests and benchmarks use.
"""

from battgen.models.iec60664 import Insulation, creepage, impulse_clearance, rated_impulse_voltage
from battgen.passes.routing.context import COVER
from battgen.passes.routing.fuses import (
    BOND_DIAMETERS,
    BOND_WIRE,
    CARRY_LIMIT,
    FUSE_CLEARING_TIME,
    INTERNAL_SHORT_RESISTANCE,
    PULSE_DURATION,
    FinLink,
    FuseDuty,
    adiabatic_melt_i2t,
    melting_voltage,
    onderdonk_current,
    size_fuse,
)
from battgen.passes.routing.geometry import GRID
from battgen.passes.routing.junctions import CELL_TERMINAL_FRACTION, Junctions, Terminals, owners, terminals
from battgen.passes.routing.network import Network, ladder_network
from battgen.passes.routing.router import route, route_with_network
from battgen.passes.routing.sizing import (
    CONVECTION_H,
    HEATING_RATE,
    LEAD_ASPECT,
    MAX_RISE,
    OPERATING_RISE,
    SHORT_CIRCUIT_TIME,
    WITHSTAND_FINAL,
    Sizing,
    heating_rate_density,
    iec60949_K,
    size_conductor,
    withstand_k,
)
from battgen.passes.routing.stage import routing_stage
from battgen.passes.routing.types import Busbar, FuseLink, Gap, Isolation, NetworkSolution, Routing

__all__ = [
    "BOND_DIAMETERS",
    "BOND_WIRE",
    "CELL_TERMINAL_FRACTION",
    "CONVECTION_H",
    "COVER",
    "CARRY_LIMIT",
    "FUSE_CLEARING_TIME",
    "GRID",
    "HEATING_RATE",
    "LEAD_ASPECT",
    "MAX_RISE",
    "OPERATING_RISE",
    "INTERNAL_SHORT_RESISTANCE",
    "PULSE_DURATION",
    "SHORT_CIRCUIT_TIME",
    "WITHSTAND_FINAL",
    "Busbar",
    "FinLink",
    "FuseDuty",
    "Gap",
    "Isolation",
    "FuseLink",
    "Junctions",
    "Network",
    "NetworkSolution",
    "Routing",
    "Sizing",
    "Terminals",
    "adiabatic_melt_i2t",
    "creepage",
    "heating_rate_density",
    "impulse_clearance",
    "Insulation",
    "iec60949_K",
    "ladder_network",
    "melting_voltage",
    "onderdonk_current",
    "owners",
    "rated_impulse_voltage",
    "route",
    "route_with_network",
    "routing_stage",
    "size_conductor",
    "size_fuse",
    "terminals",
    "withstand_k",
]
