"""Routing: busbar geometry, conductor sizing, fuses, the nodal solver (vs hand cases and liionpack)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon
from support import build_pack

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Severity, Span
from battgen.emit.busbars_svg import busbars_svg, currents_svg
from battgen.passes import routing as R
from battgen.passes.layout import types as layout_types
from battgen.passes.layout.types import Layout, Placement
from battgen.passes.routing import sizing
from battgen.passes.routing.types import Routing
from battgen.passes.synthesis import Candidate, evaluate_fixed

FIXTURES = Path(__file__).parent / "fixtures"
SPAN = Span("<test>", 1, 1, 1, 2)
COPPER = ir.Material(
    "copper",
    "conductor",
    8960.0,
    "CRC Handbook",
    SPAN,
    resistivity=1.72e-8,
    temperature_coefficient=0.00393,
    specific_heat=385.0,
    melting_point=1356.0,
    cost=9.5,
)


# --- test inputs: layouts built from layout_types only ----------------------------------------


def cell21700(**kw) -> ir.Cell:
    base = {
        "name": "c21700",
        "format": ir.CellFormat("cylindrical", diameter=0.021, height=0.070),
        "chemistry": "nmc",
        "nominal_voltage": 3.6,
        "min_voltage": 2.5,
        "max_voltage": 4.2,
        "capacity": 5.0 * 3600,
        "mass": 0.07,
        "resistance": 0.016,
        "max_discharge_current": 45.0,
        "source": "test",
        "span": SPAN,
        "pulse_current": 60.0,
        "pulse_duration": 10.0,
    }
    base.update(kw)
    return ir.Cell(**base)


def make_pack(cell=None, fuse="none", thickness=1e-3, envelope=None) -> ir.Pack:
    return ir.Pack("p", cell or cell21700(), envelope, SPAN, SPAN, busbar=ir.Busbar(COPPER, thickness), fuse=fuse)


def hex_columns(S, P, d=0.021, gap=0.001, modules=1, module_gap=0.0) -> Layout:
    """Group k = hex column k (serpentine of adjacent columns), polarity alternating per group."""
    return layout_types.hex_columns("p", S, P, d, gap, 0.070, modules, module_gap)


def candidate(S, P, cell=None, peak=None, cont=None) -> Candidate:
    """Synthesis's estimate of S×P of ``cell`` (one module), with the pack currents set to the
    cells' pulse and continuous ratings times P unless given."""
    c = cell or cell21700()
    estimate = evaluate_fixed(make_pack(c), S, P)
    return replace(
        estimate,
        modules=1,
        peak_current=peak or P * c.pulse_current,
        continuous_current=cont or P * c.max_discharge_current,
    )


def envelope(w, d, keepouts=()) -> ir.Envelope:
    return ir.Envelope(
        "env",
        ir.Shape("rect", width=w, depth=d, origin=(-0.06, -0.06)),
        0.2,
        tuple(ir.Keepout(f"k{i}", s, SPAN) for i, s in enumerate(keepouts)),
        0.005,
        SPAN,
    )


# An energy cell (10 A continuous, 15 A for 10 s): a link that carries that opens for the
# 0.1 ohm internal short its three neighbours feed (a 45 A power cell's link cannot: E702).
FUSED_CELL = cell21700(max_discharge_current=10.0, pulse_current=15.0)


@pytest.fixture(scope="module")
def routed():
    S, P = 6, 4
    layout = hex_columns(S, P, modules=2, module_gap=0.03)
    pack = make_pack(FUSED_CELL, fuse="per_cell")
    result, net = R.route_with_network(pack, layout, candidate(S, P, FUSED_CELL))
    assert isinstance(result, Routing), result
    return pack, layout, result, net


# --- connectivity -----------------------------------------------------------------------------


def test_every_cell_connected_as_s_by_p(routed):
    pack, layout, routing, _ = routed
    S, P = layout.series, layout.parallel
    graph = nx.Graph()  # nodes: ("bar", i) and ("cell", index, sign)
    by_group = {g.index: g.cells for g in layout.groups}
    for b in routing.busbars:
        if b.path:
            continue  # leads join a plate to the wall, no cells
        for g in b.groups:
            # a series bar takes group k's − and k+1's +; terminal plates the pack end's terminal
            sign = -1 if (b.kind != "terminal" and g == b.groups[0]) or (b.kind == "terminal" and g == S - 1) else 1
            for c in by_group[g]:
                graph.add_edge(("bar", b.index), ("cell", c, sign))
    for c in layout.cells:
        graph.add_edge(("cell", c.index, -1), ("cell", c.index, 1), kind="cell")
    # every cell terminal on exactly one busbar
    for c in layout.cells:
        for sign in (-1, 1):
            assert sum(1 for n in graph[("cell", c.index, sign)] if n[0] == "bar") == 1
    # series structure: removing the cells leaves S+1 bars, each joining the right groups
    bars = [b for b in routing.busbars if not b.path]
    assert len(bars) == S + 1
    assert sorted(b.groups for b in bars if b.kind != "terminal") == [(k, k + 1) for k in range(S - 1)]
    assert sorted(b.groups for b in bars if b.kind == "terminal") == [(0,), (S - 1,)]
    # the chain of bars through groups is one path of length S
    chain = nx.Graph()
    for c in layout.cells:
        a = next(n for n in graph[("cell", c.index, -1)] if n[0] == "bar")
        b = next(n for n in graph[("cell", c.index, 1)] if n[0] == "bar")
        chain.add_edge(a, b)
        # P cells in parallel between each pair of bars
    counts = {}
    for c in layout.cells:
        a = next(n for n in graph[("cell", c.index, -1)] if n[0] == "bar")
        b = next(n for n in graph[("cell", c.index, 1)] if n[0] == "bar")
        counts[frozenset((a, b))] = counts.get(frozenset((a, b)), 0) + 1
    assert sorted(counts.values()) == [P] * S
    assert nx.is_connected(chain) and max(d for _, d in chain.degree) == 2 and chain.number_of_edges() == S
    # fuses: one per cell
    assert sorted(f.cell for f in routing.fuses) == [c.index for c in layout.cells]


def test_busbars_clear_of_other_groups_terminals(routed):
    pack, layout, routing, _ = routed
    t = R.terminals(layout, pack.cell.format)
    own = R.owners(t, layout.series)
    S = layout.series
    plates = [b for b in routing.busbars if not b.path]
    for b in plates:
        o = _owner_of(b, S)
        poly = Polygon(b.polygon, b.holes)
        assert poly.is_valid
        face = [i for i, f in enumerate(t.faces) if f[1] == b.z]
        for i in np.flatnonzero((own != o) & np.isin(t.face, face)):
            gap = poly.distance(Point(t.xy[i])) - t.radius
            assert gap >= _creepage_between(o, own[i], S, pack) - 1e-6, (b.index, i, gap)
        for i in np.flatnonzero(own == o):  # its own terminals are covered
            assert poly.buffer(1e-9).contains(Point(t.xy[i]).buffer(t.radius * 0.99))
    # plates on the same face keep the creepage distance for the voltage between them
    for a in plates:
        for b in plates:
            if a.index < b.index and a.z == b.z:
                need = _creepage_between(_owner_of(a, S), _owner_of(b, S), S, pack)
                assert Polygon(a.polygon).distance(Polygon(b.polygon)) >= need - 1e-6


def _creepage_between(a: int, b: int, S: int, pack, strings: int = 1) -> float:
    """IEC 60664-1 distance for the working voltage between owners ``a`` and ``b``'s plates."""
    junctions = R.Junctions(S, strings)
    return R.creepage(abs(junctions.potential(a) - junctions.potential(b)) * pack.cell.max_voltage)


def test_potentials_count_cells_from_the_pack_minus_terminal():
    j = R.Junctions(96)
    assert j.potential(j.plus) == 96 and j.potential(j.minus) == 0
    assert j.potential(0) == 95 and j.potential(94) == 1  # junction 0 joins groups 0 and 1
    two = R.Junctions(14, 2)  # the strings' junction k sit at the same potential
    assert [two.potential(k) for k in (0, 13, 12, 25)] == [13, 13, 1, 1]
    assert two.potential(two.plus) == 14 and two.potential(two.minus) == 0


def test_creepage_follows_the_working_voltage_not_the_pack_voltage():
    """IEC 60664-1 dimensions creepage for the voltage across it: the Leaf's neighbouring tab
    plates are two cells (8.3 V) apart, not 403 V, so the 3.1 mm between its tabs is enough
    (0.40 mm needed: Table F.5's 10 V row, pollution degree 2) and no W401 is raised for
    creepage; the plates sit closer than the pack-voltage distance (5 mm) where they are few
    cells apart."""
    from battgen.driver.pipeline import check
    from battgen.passes.layout import place
    from battgen.passes.synthesis import synthesize

    pack = check(EXAMPLES / "validation" / "nissan_leaf_24.batt").design.packs["nissan_leaf_24"]
    chosen = synthesize(pack).chosen
    layout = place(pack, chosen)
    routing = R.route(pack, layout, chosen)
    assert isinstance(routing, Routing)
    assert not [d for d in routing.diagnostics if d.code == "W401" and "creepage" in d.message]
    S = layout.series
    plates = [b for b in routing.busbars if not b.path]
    gaps = []
    for a in plates:
        for b in plates:
            if a.index < b.index and a.z == b.z and _owner_of(a, S) != _owner_of(b, S):
                gap = Polygon(a.polygon).distance(Polygon(b.polygon))
                assert gap >= _creepage_between(_owner_of(a, S), _owner_of(b, S), S, pack) - 1e-6
                gaps.append(gap)
    assert R.creepage(pack.cell.max_voltage * 2) == pytest.approx(0.40e-3)
    assert min(gaps) < routing.clearance / 2  # closer than the pack-voltage distance allows


def test_module_gap_is_bridged_by_a_module_link(routed):
    _, layout, routing, _ = routed
    links = [b for b in routing.busbars if b.kind == "module_link"]
    assert [b.groups for b in links] == [(2, 3)]
    assert Polygon(links[0].polygon).is_valid


def test_terminal_lead_avoids_keepouts_and_reaches_the_wall():
    S, P = 4, 3
    layout = hex_columns(S, P)
    keep = ir.Shape("rect", width=0.03, depth=0.2, origin=(-0.05, -0.05))  # wall-to-wall block left of the cells
    env = envelope(0.24, 0.2, [keep])
    pack = make_pack(envelope=env)
    result = R.route(pack, layout, candidate(S, P))
    assert isinstance(result, Routing), result
    usable = Polygon(env.outline.vertices()).buffer(-env.wall)
    for b in result.busbars:
        poly = Polygon(b.polygon)
        assert not poly.intersects(Polygon(keep.vertices())), b.index
    for x, y in result.terminals:
        assert usable.exterior.distance(Point(x, y)) < 1e-6


def test_lead_grid_joins_free_neighbours_through_free_midpoints():
    """The leads' search grid (``leads._grid_graph``) against a point-by-point construction: a
    grid point joins each of its 8 neighbours when both are in the free floor and so is the
    midpoint between them (tested once for both diagonals), weighted by the distance."""
    from battgen.passes.routing.leads import _grid_graph

    free = Polygon([(0, 0), (0.3, 0), (0.3, 0.2), (0.12, 0.2), (0.12, 0.08), (0, 0.08)]).difference(
        Point(0.2, 0.1).buffer(0.03)
    )
    step = 0.0097
    nx_, ny_ = int(0.3 / step) + 1, int(0.2 / step) + 1
    gx, gy = np.meshgrid(step * np.arange(nx_), step * np.arange(ny_), indexing="ij")
    inside = shapely.contains_xy(free, gx, gy)
    ids = -np.ones(inside.shape, int)
    ids[inside] = np.arange(int(inside.sum()))
    edges = {}
    for i, j in zip(*np.nonzero(inside)):
        for di, dj in ((1, 0), (0, 1), (1, 1), (1, -1)):
            k, m = i + di, j + dj
            mid = Point(step * (i + di / 2), step * (j + dj / 2))
            if 0 <= k < nx_ and 0 <= m < ny_ and inside[k, m] and free.contains(mid):
                edges[ids[i, j], ids[k, m]] = step * math.hypot(di, dj)
    graph = _grid_graph(free, inside, 0.0, 0.0, step).tocoo()
    assert dict(zip(zip(graph.row.tolist(), graph.col.tolist()), graph.data.tolist())) == edges
    assert len(edges) > 500


def test_both_leads_share_one_search_of_the_floor():
    """The + and − leads share their floor's grid and its Dijkstra tree: each lead's path is the
    one a search of its own (``route_lead``) finds."""
    from battgen.passes.routing.leads import _Floor, route_lead

    floor = Polygon([(0, 0), (0.4, 0), (0.4, 0.3), (0, 0.3)])
    free = floor.buffer(-0.01).difference(Point(0.2, 0.15).buffer(0.05))
    shared = _Floor(floor, free, 0.008, 0.01)
    for start in ((0.2, 0.05), (0.2, 0.26), (0.31, 0.15)):
        assert shared.route(start) == route_lead(start, free, floor, 0.008, 0.01)
    assert shared.search is not None and len(shared.search.pts) > 1000


def test_no_route_is_E701_not_a_crash():
    S, P = 4, 3
    layout = hex_columns(S, P)
    # a keepout that swallows the whole envelope floor around the cells: no way to the wall
    ring = ir.Shape(
        "polygon",
        points=(
            (-0.055, -0.055),
            (0.175, -0.055),
            (0.175, 0.135),
            (-0.055, 0.135),
            (-0.055, -0.045),
            (-0.045, -0.045),
            (-0.045, 0.125),
            (0.165, 0.125),
            (0.165, -0.045),
            (-0.055, -0.045),
        ),
    )
    pack = make_pack(envelope=envelope(0.24, 0.2, [ring]))
    result = R.route(pack, layout, candidate(S, P))
    assert isinstance(result, Diagnostic) and result.code == "E701"
    # and a polarity that does not alternate (cells on different faces) is E701 too
    bad = Layout(
        **{**layout.__dict__, "cells": tuple(c.__class__(**{**c.__dict__, "polarity_up": True}) for c in layout.cells)}
    )
    result = R.route(make_pack(), bad, candidate(S, P))
    assert isinstance(result, Diagnostic) and result.code == "E701"


def test_routing_stage_routes_the_placed_candidate():
    S, P = 4, 3
    placement = Placement(candidate(S, P), hex_columns(S, P))
    outcome = R.routing_stage(make_pack(), placement)
    assert not outcome.failed
    assert isinstance(outcome.value, Routing) and "busbars" in outcome.value.summary()


# --- sizing -----------------------------------------------------------------------------------


def test_batpac_heating_rate_density_for_copper():
    j = R.heating_rate_density(0.4, 8960, 385, 1.72e-8)
    assert j / 1e6 == pytest.approx(8.96, rel=1e-2)  # A/mm²
    assert R.heating_rate_density(0.04, 8960, 385, 1.72e-8) == pytest.approx(j / math.sqrt(10))


def test_iec60949_K_constants():
    assert R.iec60949_K(3.45e6, 234.5, 1.7241e-8) / 1e6 == pytest.approx(226, abs=1)  # copper
    assert R.iec60949_K(2.5e6, 228, 2.8264e-8) / 1e6 == pytest.approx(148, abs=1)  # aluminium


def test_conductors_meet_the_sizing_rules(routed):
    pack, layout, routing, _ = routed
    cand = candidate(layout.series, layout.parallel, pack.cell)
    m = pack.busbar.material
    i_sc = cand.nominal_voltage / cand.resistance
    k = R.withstand_k(
        m.density * m.specific_heat,
        sizing.iec60949_beta(m),
        m.resistivity,
        pack.ambient - 273.15 + R.OPERATING_RISE,
        R.WITHSTAND_FINAL - 273.15,
    )
    for b in routing.busbars:
        rate = "series" if b.kind == "terminal" and not b.path else ("terminal" if b.path else b.kind)
        j = R.heating_rate_density(R.HEATING_RATE[rate], m.density, m.specific_heat, m.resistivity)
        area = b.width * b.thickness
        assert area >= b.current_peak / j * (1 - 1e-9), b.index
        assert area**2 * k**2 >= i_sc**2 * R.SHORT_CIRCUIT_TIME * (1 - 1e-9), b.index
        rise = b.current_continuous**2 * m.resistivity / area / (R.CONVECTION_H * 2 * (b.width + b.thickness))
        assert rise <= R.MAX_RISE * (1 + 1e-6), b.index
        assert b.mass_kg > 0 and b.resistance > 0 and b.loss_W == pytest.approx(b.current_continuous**2 * b.resistance)


def test_thin_busbar_is_thickened_with_a_warning():
    S, P = 4, 3
    layout = hex_columns(S, P)
    result = R.route(make_pack(thickness=0.05e-3), layout, candidate(S, P, peak=2000.0, cont=500.0))
    assert isinstance(result, Routing)
    warns = [d for d in result.diagnostics if d.severity is Severity.WARNING]
    assert warns and "too thin" in warns[0].message and "%" in warns[0].message
    assert all(b.thickness >= 0.05e-3 for b in result.busbars)


# --- fuses ------------------------------------------------------------------------------------


def test_onderdonk_check_value_and_general_form():
    awg16 = 2583.0  # circular mils
    assert R.onderdonk_current(awg16, 5.0) == pytest.approx(169, abs=1)
    area = awg16 * 5.067e-10  # m²
    i2t = R.adiabatic_melt_i2t(area, 3.45e6, 234.5, 1.7241e-8, 1083.0, 25.0)
    assert math.sqrt(i2t / 5.0) == pytest.approx(169, rel=0.01)


def test_fuse_ratings_between_cell_current_and_fault(routed):
    pack, layout, routing, _ = routed
    cell = pack.cell
    for f in routing.fuses:
        assert f.rating >= cell.max_discharge_current
        assert f.carry_margin >= 1.0
        assert f.hot_spot <= R.CARRY_LIMIT
        assert cell.max_discharge_current < f.fusing_current < f.fault_current
        assert f.clearing_time <= R.FUSE_CLEARING_TIME
        assert f.short_resistance == R.INTERNAL_SHORT_RESISTANCE <= f.max_short


def test_no_fuse_geometry_is_E702():
    # 2 cells in parallel of a weak, high-resistance cell: the one neighbour cannot blow a fuse that
    # carries the cell's rated current
    S, P = 3, 2
    cell = cell21700(resistance=0.2, max_discharge_current=30.0, pulse_current=40.0)
    result = R.route(make_pack(cell, fuse="per_cell"), hex_columns(S, P), candidate(S, P, cell))
    assert isinstance(result, Diagnostic) and result.code == "E702"
    assert "carry" in result.message


def test_a_power_cell_cannot_be_fused_against_a_soft_internal_short():
    """A 45 A / 60 A power cell: the smallest link that carries 60 A for 10 s melts only above
    about 110 A, and three neighbours push about 33 A through a 0.1 ohm internal short: E702,
    with the numbers."""
    S, P = 6, 4
    result = R.route(make_pack(fuse="per_cell"), hex_columns(S, P), candidate(S, P))
    assert isinstance(result, Diagnostic) and result.code == "E702"
    assert "never opens" in result.message and "100 mΩ internal short" in result.message
    assert "minimum fusing current" in result.message


# --- network ----------------------------------------------------------------------------------


def test_1s2p_unequal_resistances_split_inversely():
    net = R.ladder_network(1, 2, Ri=0.02, Rc=1e-8, Rb=1e-8, Rt=1e-8, V=4.0)
    net.cell_r = np.array([0.01, 0.03])
    net._solver = None
    sol = net.solution(8.0)
    assert sol.cell_currents[0] == pytest.approx(6.0, rel=1e-5)
    assert sol.cell_currents[1] == pytest.approx(2.0, rel=1e-5)
    assert sol.pack_resistance == pytest.approx(0.0075, rel=1e-5)
    assert sol.terminal_voltage == pytest.approx(4.0 - 8.0 * 0.0075, rel=1e-5)


def test_uniform_pack_resistance_check_value():
    # physics.md: 96s4p of 1 mΩ cells → 24 mΩ; with 0.1 mΩ per series step → 33.6 mΩ
    net = R.ladder_network(96, 4, Ri=1e-3, Rc=1e-8, Rb=1e-8, Rt=1e-8)
    assert net.resistance == pytest.approx(0.024, rel=1e-4)
    net = R.ladder_network(96, 4, Ri=1e-3, Rc=0.4e-3, Rb=1e-8, Rt=1e-8)  # 0.1 mΩ per step = 0.4 mΩ per weld
    assert net.resistance == pytest.approx(0.0336, rel=1e-4)


@pytest.mark.parametrize("case", json.loads((FIXTURES / "liionpack_ladder.json").read_text())["cases"])
def test_ladder_matches_liionpack(case):
    net = R.ladder_network(case["Ns"], case["Np"], case["Ri"], case["Rc"], case["Rb"], case["Rt"], case["V"])
    sol = net.solution(case["I"])
    ours = np.array(sol.cell_currents).reshape(case["Ns"], case["Np"])
    ref = np.array(case["cell_currents"])
    assert np.max(np.abs(ours - ref) / np.abs(ref)) < 0.005
    assert sol.terminal_voltage == pytest.approx(case["terminal_voltage"], rel=0.005)


def test_routed_network_is_consistent(routed):
    pack, layout, routing, net = routed
    n = routing.network
    assert sum(n.cell_currents) == pytest.approx(n.pack_current * layout.series, rel=1e-6)
    for g in range(layout.series):
        assert n.group_mean[g] * layout.parallel == pytest.approx(n.pack_current, rel=1e-6)
    # pack resistance from the geometry sits above the cells-only value
    assert n.pack_resistance > layout.series * pack.cell.resistance / layout.parallel
    assert n.busbar_loss > 0 and n.fuse_loss > 0
    # energy balance: OCV power = terminal power + all I²R losses
    ocv = pack.cell.nominal_voltage * layout.series
    assert ocv * n.pack_current == pytest.approx(
        n.terminal_voltage * n.pack_current + n.busbar_loss + n.fuse_loss + n.cell_loss, rel=1e-6
    )


# --- SVG --------------------------------------------------------------------------------------


def test_svgs_are_deterministic(routed):
    pack, layout, routing, _ = routed
    a = busbars_svg(layout, routing, pack)
    assert a == busbars_svg(layout, routing, pack)
    assert a.startswith("<?xml") and a.count('class="series"') + a.count('class="module_link"') == layout.series - 1
    b = currents_svg(layout, routing, pack)
    assert b == currents_svg(layout, routing, pack) and "colour-bar" in b
    again, _ = R.route_with_network(pack, layout, candidate(layout.series, layout.parallel, pack.cell))
    assert busbars_svg(layout, again, pack) == a


# --- the real pipeline: every example through check → synthesize → place → route -------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_FILES = sorted(
    p.relative_to(EXAMPLES).as_posix() for p in [*EXAMPLES.glob("*.batt"), *EXAMPLES.glob("validation/*.batt")]
)


def _owner_of(b, S):
    """The owner index (``routing.owners``) a plate or jumper busbar belongs to."""
    if b.kind != "terminal":
        return b.groups[0]
    return S - 1 if b.groups == (0,) else S


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_examples_route_through_the_real_pipeline(name):
    from battgen.driver.pipeline import check
    from battgen.passes.layout import place
    from battgen.passes.synthesis import synthesize

    assert len(EXAMPLE_FILES) == 16
    lowered = check(EXAMPLES / name)
    assert not lowered.has_errors
    for pack in lowered.design.packs.values():
        chosen = synthesize(pack).chosen
        layout = place(pack, chosen)
        assert isinstance(layout, Layout), layout
        routing = R.route(pack, layout, chosen)
        assert isinstance(routing, Routing), f"{routing.code} {routing.message}"
        assert not any(d.is_error for d in routing.diagnostics)
        S, P = layout.series, layout.parallel
        t = R.terminals(layout, pack.cell.format)
        own = R.owners(t, S)
        plates = [b for b in routing.busbars if not b.path]
        polys = [Polygon(b.polygon, b.holes) for b in plates]
        assert all(p.is_valid and p.area > 0 for p in polys)
        assert all(b.width > 0 and b.thickness > 0 and b.resistance > 0 for b in routing.busbars)
        # every cell terminal sits on exactly one plate, and that plate is the right series junction
        tree = shapely.STRtree(polys)
        contact = shapely.buffer(shapely.points(t.xy), t.radius * 0.99, quad_segs=8)
        for i in range(len(t.cell)):
            on = [
                k
                for k in tree.query(contact[i], predicate="intersects")
                if plates[k].z == t.faces[t.face[i]][1] and polys[k].buffer(1e-9).contains(contact[i])
            ]
            assert len(on) == 1, (name, i, on)
            assert _owner_of(plates[on[0]], S) == own[i], (name, i)
        # S + 1 conductors: the pieces of one owner are joined by its insulated jumpers
        pieces = nx.Graph()
        pieces.add_nodes_from(range(len(plates)))
        for j in (b for b in routing.busbars if b.path and b.kind != "terminal"):
            ends = [
                next(
                    k
                    for k in tree.query(Point(xy), predicate="intersects")
                    if _owner_of(plates[k], S) == _owner_of(j, S)
                )
                for xy in (j.path[0], j.path[-1])
            ]
            pieces.add_edge(*ends)
        comps = [{_owner_of(plates[k], S) for k in c} for c in nx.connected_components(pieces)]
        assert all(len(c) == 1 for c in comps) and sorted(next(iter(c)) for c in comps) == list(range(S + 1))
        # each group: P cells between the junction before it and the one after
        per_pair = {}
        for c in layout.cells:
            pair = (own[c.index], own[c.index + len(layout.cells)])  # (+ terminal's owner, − terminal's owner)
            per_pair[pair] = per_pair.get(pair, 0) + 1
        assert sorted(per_pair.values()) == [P] * S
        # no plate overlaps another owner's terminal area; nothing overlaps a keepout
        for b, poly in zip(plates, polys):
            o = _owner_of(b, S)
            near = tree.query(poly)  # noqa: F841 - keeps the tree alive
            others = np.flatnonzero((own != o) & (np.array([t.faces[f][1] for f in t.face]) == b.z))
            hits = others[shapely.intersects(poly, contact[others])]
            assert not any(poly.intersection(contact[i]).area > 1e-12 for i in hits), (name, b.index)
        if pack.envelope is not None and pack.envelope.keepouts:
            keep = shapely.union_all([Polygon(k.shape.vertices()) for k in pack.envelope.keepouts])
            for b in routing.busbars:
                assert Polygon(b.polygon).intersection(keep).area < 1e-12, (name, b.index)
        # plates of different owners keep the creepage distance, except where the layout forces less
        # (a W401 then names it and the busbars carry a note)
        forced = any(d.code == "W401" and "creepage" in d.message for d in routing.diagnostics)
        for a, pa in zip(plates, polys):
            for k in tree.query(pa, predicate="dwithin", distance=routing.clearance - 1e-6):
                b = plates[k]
                oa, ob = _owner_of(a, S), _owner_of(b, S)
                if b.z == a.z and oa != ob and pa.distance(polys[k]) < _creepage_between(oa, ob, S, pack) - 1e-6:
                    assert forced and any("creepage short" in n for n in a.notes), (name, a.index, b.index)
        # fuses between the cell's current and the fault current
        if pack.fuse != "none":
            assert routing.fuses
            peak = sizing.Duty.of(chosen).peak / P  # a cell's share of the peak load case
            for f in routing.fuses:
                assert peak <= f.rating and f.carry_margin >= 1.0
                assert peak < f.fusing_current < f.fault_current
                assert f.clearing_time <= R.FUSE_CLEARING_TIME and f.hot_spot <= R.CARRY_LIMIT
        n = routing.network
        assert n.pack_resistance > 0 and all(math.isfinite(x) for x in n.cell_currents)
        for g in range(S):
            assert n.group_mean[g] * P == pytest.approx(n.pack_current, rel=1e-6)


# --- parallel strings ----------------------------------------------------------------------------

TWO_STRINGS = """
use cells.samsung.inr21700_50e

envelope tray {
    outline = rect(400 mm, 300 mm)
    height  = 95 mm
    wall    = 3 mm
}

pack two_strings {
    cell     = inr21700_50e
    envelope = tray
    series   = 14
    parallel = 8
    strings  = 2
    modules  = 4
}
"""


def test_parallel_strings_meet_only_at_the_pack_terminals():
    """`strings = 2`: two 14s4p strings. Each string's series junctions join only its own
    groups; the pack + and − plates take both strings' end groups (joined by a jumper where
    they lie apart); the network splits the pack current about evenly and its resistance is
    the synthesis estimate's (two strings of 14·R/4 in parallel = 14·R/8 + interconnect)."""
    build = build_pack(TWO_STRINGS)
    S, strings = 14, 2
    junctions = R.Junctions(S, strings)
    plates = [b for b in build.routing.busbars if not b.path]
    for b in plates:
        if b.kind != "terminal":
            a, c = b.groups
            assert c == a + 1 and a // S == c // S  # within one string
    assert {b.groups for b in plates if b.kind == "terminal"} == {
        junctions.groups(junctions.plus),
        junctions.groups(junctions.minus),
    }
    assert junctions.groups(junctions.plus) == (0, 14) and junctions.groups(junctions.minus) == (13, 27)
    network = build.routing.network
    group_of = np.array([c.group for c in build.layout.cells])
    per_string = [float(np.sum(np.asarray(network.cell_currents)[group_of // S == s])) / S for s in range(strings)]
    assert sum(per_string) == pytest.approx(network.pack_current, rel=1e-6)
    assert per_string[0] == pytest.approx(per_string[1], rel=0.05)
    assert network.pack_resistance == pytest.approx(build.candidate.resistance, rel=0.05)


def test_a_single_row_of_cells_routes():
    """Terminals in a line give Qhull no plane to split (QH6013/QH6154, an E701 before): the
    network joins neighbours along the row instead."""
    from battgen.driver.pipeline import check
    from battgen.passes.layout import place
    from battgen.passes.synthesis import synthesize

    text = """
use cells.samsung.inr21700_50e

envelope stick {
    outline = rect(200 mm, 27 mm)
    height  = 80 mm
    wall    = 2 mm
}

pack p {
    cell     = inr21700_50e
    envelope = stick
    series   = 8
    parallel = 1
    layout   = square
    fuse     = per_group
}
"""
    pack = check(text).design.packs["p"]
    chosen = synthesize(pack).chosen
    layout = place(pack, chosen)
    assert isinstance(layout, Layout) and len({round(c.y, 9) for c in layout.cells}) == 1  # one row
    routing = R.route(pack, layout, chosen)
    assert isinstance(routing, Routing), routing.message
    n = routing.network
    assert n.pack_resistance == pytest.approx(8 * pack.cell.resistance, rel=0.25)
    assert all(i == pytest.approx(n.pack_current) for i in n.cell_currents)


def test_a_series_path_that_climbs_layers_says_so(monkeypatch):
    """Two layers of cells: where the series path steps from one layer to the next the junction
    would need a plate between the layers; E701 says that, not a polarity problem. (The estimate
    and the layout stop at ``MAX_LAYERS`` = 1 so that no build gets here; the limit is raised
    to test the router's own message.)"""
    import importlib

    from battgen.driver.pipeline import build_result
    from battgen.passes.synthesis import capacity

    floor = importlib.import_module("battgen.passes.layout.floor")

    monkeypatch.setattr(capacity, "MAX_LAYERS", 2)
    monkeypatch.setattr(floor, "MAX_LAYERS", 2)

    text = """
use cells.panasonic.ncr18650b

envelope tray {
    outline = rect(200 mm, 150 mm)
    height  = 150 mm
}

pack p {
    cell     = ncr18650b
    envelope = tray
    series   = 20
    parallel = 6
    layers   = 2
}
"""
    import tempfile
    from pathlib import Path

    result = build_result(text, Path(tempfile.mkdtemp()), cad=False)
    [error] = [d for d in result.diagnostics if d.is_error]
    assert error.code == "E701" and "join two layers of cells" in error.message and "layers = 1" in error.hint
    assert [d.code for d in result.diagnostics if not d.is_error] == ["W402"]


@pytest.mark.parametrize("module_gap", [0.0, 0.03])
def test_owner_regions_are_the_union_of_their_cells(module_gap):
    """A group's region (the exact Voronoi cells merged by coverage union, the cells clipped at
    the hull and the module gap overlaid on that: ``geometry.Tiles``) and an owner's (its groups'
    overlaid) cover the same plane as the union of all their clipped cells at once (``merge_cells``, how the plates
    were merged before), to floating-point noise, and are valid."""
    from concurrent.futures import ThreadPoolExecutor

    from battgen.passes.routing import plates as plates_module
    from battgen.passes.routing.context import plate_context
    from battgen.passes.routing.geometry import merge_cells

    S, P = 8, 6
    pack = make_pack()
    ctx = plate_context(pack, hex_columns(S, P, modules=2, module_gap=module_gap), candidate(S, P))
    t = ctx.terminals
    with ThreadPoolExecutor(1) as pool:
        splits = plates_module._face_splits(ctx, pool)
        group_regions = plates_module._group_regions(ctx, splits, pool)
    clipped = 0
    for f, split in enumerate(splits):
        on = np.flatnonzero(t.face == f)
        cells, exact, group_region = split.cells, split.exact, group_regions[f]
        clipped += int((~exact).sum())
        owners, regions = plates_module._face_regions(group_region, bool(exact.any()))
        owned, group = ctx.own[on], t.group[on]
        assert owners == [int(o) for o in np.unique(owned)]
        for o, region in zip(owners, regions):
            pieces = [(region, owned == o)] + [
                (group_region[(o, int(g))], (owned == o) & (group == g)) for g in np.unique(group[owned == o])
            ]
            for merged, chosen in pieces:
                old = merge_cells(cells[chosen])
                assert merged.is_valid and merged.geom_type == old.geom_type  # apart across a module gap
                assert merged.symmetric_difference(old).area <= 1e-12 * old.area
    assert clipped > 0  # the hull's cells were clipped: the overlay onto the core was exercised


def test_faces_with_the_same_terminal_places_share_one_diagram_to_the_bit():
    """A standing cylinder's two ends have their terminals in the same places, listed in another
    order: the second face's cells are the first's diagram's, reordered (``_face_splits``), and
    they are the very cells its own diagram gives (GEOS sorts the sites)."""
    from concurrent.futures import ThreadPoolExecutor

    from battgen.passes.routing import plates as plates_module
    from battgen.passes.routing.context import plate_context

    S, P = 8, 6
    ctx = plate_context(make_pack(), hex_columns(S, P, modules=2, module_gap=0.03), candidate(S, P))
    t = ctx.terminals
    faces = [np.flatnonzero(t.face == f) for f in range(len(t.faces))]
    assert len(faces) == 2 and not (t.xy[faces[0]] == t.xy[faces[1]]).all()  # the same places, reordered
    with ThreadPoolExecutor(1) as pool:
        splits = plates_module._face_splits(ctx, pool)
    for on, split in zip(faces, splits):
        own_cells, own_exact = plates_module._voronoi_cells(t.xy[on], ctx.cover, ctx.pitch)
        assert (split.exact == own_exact).all()
        assert list(shapely.to_wkb(split.cells)) == list(shapely.to_wkb(own_cells))


@pytest.mark.parametrize("module_gap", [0.0, 0.03])
def test_a_group_on_both_faces_is_merged_once_to_the_bit(module_gap):
    """A standing cylinder's group has its + ends on one face and its − ends on the other, in the
    same places and order: both faces' regions of it are one merge (``_group_regions``), the
    very region each face's own cells of it merge to; each face's shrunk cover
    (``_inside_edges``, merged once for both) is the one its own owners' regions give."""
    from concurrent.futures import ThreadPoolExecutor

    from battgen.passes.routing import plates as plates_module
    from battgen.passes.routing.context import plate_context
    from battgen.passes.routing.geometry import Tiles

    S, P = 8, 6
    ctx = plate_context(make_pack(), hex_columns(S, P, modules=2, module_gap=module_gap), candidate(S, P))
    t = ctx.terminals
    with ThreadPoolExecutor(2) as pool:
        splits = plates_module._face_splits(ctx, pool)
        group_regions = plates_module._group_regions(ctx, splits, pool)
        owners = [plates_module._face_regions(group_regions[f], bool(splits[f].exact.any())) for f in (0, 1)]
        inside = plates_module._inside_edges(ctx, splits, [regions for _, regions in owners], pool)
    by_group = [{g: region for (_, g), region in group_regions[f].items()} for f in (0, 1)]
    both = set(by_group[0]) & set(by_group[1])
    assert len(both) == S  # every group: its + ends on one face, its − ends on the other
    for g in both:
        assert by_group[0][g] is by_group[1][g]
    for f, split in enumerate(splits):
        on = np.flatnonzero(t.face == f)
        for (o, g), region in group_regions[f].items():
            chosen = (ctx.own[on] == o) & (t.group[on] == g)
            assert shapely.to_wkb(region) == shapely.to_wkb(Tiles.of(split.cells, split.exact, chosen).merged())
        assert shapely.to_wkb(inside[f]) == shapely.to_wkb(plates_module._shrunk(owners[f][1], ctx.clearance))
    assert inside[0] is inside[1]


def test_the_cut_back_in_arrays_is_the_cut_back_plate_by_plate():
    """``_cut_back`` draws each step over all a face's plates (or neighbour pairs) in one array
    call: the plates are the ones cut plate by plate as before, to the bit."""
    from concurrent.futures import ThreadPoolExecutor

    from battgen.passes.routing import plates as plates_module
    from battgen.passes.routing.context import plate_context
    from battgen.passes.routing.geometry import safe

    def box(g, m):
        x0, y0, x1, y1 = g.bounds
        return x0 - m, y0 - m, x1 + m, y1 + m

    def one_by_one(ctx, face_owners, regions, inside):  # the cut-back as it was written plate by plate
        pairs = shapely.STRtree(regions).query(regions, predicate="dwithin", distance=ctx.clearance)
        pairs = pairs[:, pairs[0] != pairs[1]]
        keep_from: dict = {}
        for i, k in zip(*pairs.tolist()):
            c = float(ctx.creepage.apart(face_owners[i], face_owners[k]))
            keep_from.setdefault(i, []).append((k, c / 2 if shapely.dwithin(regions[i], regions[k], 1e-6) else c))
        plates = {}
        for i, o in enumerate(face_owners):
            grown = regions[i].buffer(1e-6, join_style="mitre")
            plate = safe(lambda g=grown: g.intersection(shapely.clip_by_rect(inside, *box(g, 1e-5))), regions[i])
            if i in keep_from:
                zones = [
                    shapely.clip_by_rect(
                        shapely.clip_by_rect(regions[k], *box(plate, d + 1e-4)).buffer(d + 5e-6, join_style="mitre"),
                        *box(plate, 1e-5),
                    )
                    for k, d in keep_from[i]
                ]
                plate = safe(lambda p=plate, z=zones: p.difference(shapely.union_all(z)), plate)
            plates[o] = plate
        return plates

    S, P = 10, 6
    ctx = plate_context(make_pack(), hex_columns(S, P, modules=2, module_gap=0.03), candidate(S, P))
    with ThreadPoolExecutor(1) as pool:
        splits = plates_module._face_splits(ctx, pool)
        group_regions = plates_module._group_regions(ctx, splits, pool)
        owners = [plates_module._face_regions(group_regions[f], bool(splits[f].exact.any())) for f in (0, 1)]
        inside = plates_module._inside_edges(ctx, splits, [regions for _, regions in owners], pool)
    for f in (0, 1):
        arrays = plates_module._cut_back(ctx, *owners[f], inside[f])
        plates = one_by_one(ctx, *owners[f], inside[f])
        assert list(arrays) == list(plates)
        assert [shapely.to_wkb(p) for p in arrays.values()] == [shapely.to_wkb(p) for p in plates.values()]


def test_safe_all_is_safe_element_by_element():
    """``geometry.safe_all``: one array call, each result as ``safe`` leaves it (made valid, kept
    polygonal); where GEOS fails on one element, only that one falls back, and a missing result
    falls back too."""
    from battgen.passes.routing.geometry import safe, safe_all

    disc = Point(0, 0).buffer(1.0)
    bow = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # self-crossing: made valid into two triangles
    square = Polygon([(1, -1), (3, -1), (3, 1), (1, 1)])  # meets the next along an edge only
    shapes = np.array([disc, bow, square, None], dtype=object)
    fallback = np.array([Point(9, 9), Point(8, 8), Point(7, 7), Point(6, 6)], dtype=object)

    out = safe_all(shapely.force_2d, fallback, shapes)
    assert out[0].equals_exact(disc, 0.0) and out[3] is fallback[3]  # a missing result: its fallback
    assert out[1].is_valid and out[1].geom_type == "MultiPolygon"

    other = np.array([Point(0.5, 0.5).buffer(3.0), disc, Polygon([(3, -1), (4, -1), (4, 1), (3, 1)])], dtype=object)
    out = safe_all(shapely.intersection, fallback[:3], shapes[:3], other)  # GEOS fails on the bow tie only
    assert out[1] is fallback[1]
    for got, a, b in zip(out[::2], shapes[:3:2], other[::2]):
        assert shapely.to_wkb(got) == shapely.to_wkb(safe(lambda a=a, b=b: a.intersection(b), None))
    assert out[2].is_empty and out[2].geom_type == "Polygon"  # the shared edge: no area kept


def test_rings_are_rounded_as_python_rounds():
    """``geometry.rounded`` rounds as ``round(v, 7)`` does, to the bit (halves, ties, signs of
    zero, overflow), and ``outer_ring`` / ``inner_rings`` give the rounded ring from its
    lowest-leftmost vertex as one point at a time did."""
    from battgen.passes.routing.geometry import inner_rings, outer_ring, rounded

    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            rng.uniform(-3.0, 3.0, 200_000),
            (rng.integers(-(10**7), 10**7, 50_000) + 0.5) / 1e7,  # halves of the last place
            rng.integers(-(10**8), 10**8, 50_000) / 1e8,
            [0.0, -0.0, 1e-9, -1e-9, 5e-8, -5e-8, 1.5e-7, 2.5e-7, 1e12, 1e303, -1e303, np.inf, -np.inf],
        ]
    )
    got, want = rounded(values), np.array([round(v, 7) for v in values.tolist()])
    assert ((got == want) & (np.signbit(got) == np.signbit(want))).all()

    def by_hand(ring):  # one point at a time, as the rings were drawn before
        points = [(round(x, 7), round(y, 7)) for x, y in shapely.get_coordinates(ring)[:-1].tolist()]
        first = min(range(len(points)), key=lambda k: (points[k][1], points[k][0]))
        return tuple(points[first:] + points[:first])

    shape = Point(0.123456789, -0.5).buffer(0.02).difference(Point(0.1234, -0.5).buffer(0.005))
    shape = shapely.union_all([shape, Polygon([(0.1, -0.52), (0.2, -0.52), (0.2, -0.51)])])
    from shapely.geometry.polygon import orient

    oriented = orient(shape, 1.0)
    assert outer_ring(shape) == by_hand(oriented.exterior)
    assert inner_rings(shape) == tuple(by_hand(r) for r in oriented.interiors) and len(inner_rings(shape)) == 1
    assert all(type(x) is float for point in outer_ring(shape) for x in point)


def test_a_standing_cylinder_s_two_faces_share_one_diagram():
    """The + and - faces of standing cylinders have their terminals in the same places: the
    second face's neighbours are the first's diagram, renumbered to its own terminals. The same
    pairs as its own Voronoi diagram gives, and the same ridge lengths to Qhull's last bits."""
    from battgen.passes.routing.context import _face_neighbours
    from battgen.passes.routing.geometry import voronoi_neighbours
    from battgen.passes.routing.junctions import terminals

    layout = hex_columns(8, 5, modules=2, module_gap=0.03)
    t = terminals(layout, cell21700().format)
    assert len(t.faces) == 2
    shared = _face_neighbours(t, max(layout.pitch))
    assert shared[1][1] is shared[0][1]  # one Qhull run: the second face's lengths are the first's
    for f in range(2):
        xy = t.xy[t.face == f]
        (pairs, lengths), (own_pairs, own_lengths) = shared[f], voronoi_neighbours(xy, max(layout.pitch))

        def by_pair(p, lens):
            return {tuple(sorted(map(int, ab))): v for ab, v in zip(p, lens)}

        mine, own = by_pair(pairs, lengths), by_pair(own_pairs, own_lengths)
        assert mine.keys() == own.keys()
        assert np.allclose([mine[k] for k in own], [own[k] for k in own], rtol=1e-12, atol=0.0, equal_nan=True)
    # the two faces' terminals differ (each cell's + and - end), but their places are the same
    assert not np.array_equal(np.flatnonzero(t.face == 0), np.flatnonzero(t.face == 1))
    first = {tuple(sorted(map(tuple, t.xy[t.face == 0][p]))) for p in shared[0][0]}
    second = {tuple(sorted(map(tuple, t.xy[t.face == 1][p]))) for p in shared[1][0]}
    assert first == second
