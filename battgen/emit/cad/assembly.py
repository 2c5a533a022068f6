"""The assembly procedure: the ordered steps that build the pack from the CAD plan's parts, the
joints of each step, a picture of the pack after each step, and the complexity counts.

Steps and their default order follow the pack assembly sequence of PEM RWTH Aachen and VDMA,
"Battery Module and Pack Assembly Process" (3rd ed., 2018, ISBN 978-3-947920-05-1): cooling
plates into the tray, the thermal interface, the modules, then the electrical integration
(contacting, sensing, BMS, high-voltage wiring), and the cover last. Each plan part goes to the
step of its kind (``STEP_OF``); the busbars and leads on the cells' bottom face go with the
modules (they are under the cells: fitted to the module before it goes in).

The order is then derived from the CAD geometry: a **precedence graph** whose edge A → B says
that a part of step B lies on or above a part of step A where they overlap in plan (B cannot
go in before A: it rests on it, or would cover it — everything goes in from above), sorted
topologically with the VDMA order breaking ties. A cycle (two steps each partly above the
other) cannot be built in steps and is reported in the notes; the VDMA order is kept for it.

Joints per step (``_joints``), counted from the parts: cold plate bolts every ``FLANGE_PITCH``
round its edge; a gap-filler bead per module; four hold-down bolts per module (a design rule);
a weld per cell terminal on a busbar, two bonds per fuse link (cell and plate end); a weld per
sense line at its busbar; four standoff screws and a connector per front-end board, two
connectors per daisy-chain link; two bolts per high-voltage lead; the lid's flange bolts and a
seal bead.

Pictures: the pack after each step, drawn as ``preview.png`` is (``preview``: the plan's
triangles, isometric, z-buffered in numpy, deterministic PNG), all framed on the finished pack
so that they line up; the lid is drawn in the last.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from battgen.emit.cad.parts import Instances, Plan, Prism, _bounds
from battgen.passes.assembly import Assembly, Complexity, Step
from battgen.passes.drawn import FLANGE_PITCH

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from battgen.core import ir
    from battgen.passes.bms import Bms

# The steps in the VDMA order (the tie-breaker of the precedence sort), with what is done.
STEPS = (
    ("tray", "place the tray: floor, side walls and flange"),
    ("cold plate", "mount the cold plate on the tray floor"),
    ("gap filler", "dispense the gap filler on the cold plate"),
    ("modules", "insert the modules (cells in their holders or frames, bottom busbars fitted)"),
    ("busbars", "weld the top busbars to the cells and bond the fuse links"),
    ("sense lines", "lay the voltage sense lines and weld them to the busbars"),
    ("bms", "mount the front-end boards, plug in the sense lines and the daisy chain"),
    ("hv wiring", "fit the high-voltage leads to the pack terminals"),
    ("lid", "seal and bolt the lid"),
)
STEP_OF = {
    "floor": "tray",
    "walls": "tray",
    "flange": "tray",
    "cold_plate": "cold plate",
    "gap_filler": "gap filler",
    "cell": "modules",
    "holder": "modules",
    "frame": "modules",
    "busbar": "busbars",
    "fuse": "busbars",
    "sense_harness": "sense lines",
    "bms_board": "bms",
    "lead": "hv wiring",
    "lid": "lid",
}
HOLD_DOWN_BOLTS = 4  # per module (design rule: one per corner)
BOARD_SCREWS = 4  # per front-end board (standoffs)
LEAD_BOLTS = 2  # per high-voltage lead: at its plate and at the pack terminal
TOUCH = 0.05  # mm: a part this close above another rests on it
PICTURE = (800, 560)  # px


SOURCE = (
    "PEM RWTH Aachen & VDMA, Battery Module and Pack Assembly Process, 3rd ed. (2018), ISBN 978-3-947920-05-1: "
    "cooling plates into the tray, modules, electrical integration, cover"
)


# --- parts as the precedence graph sees them ---------------------------------------------------


@dataclass(frozen=True)
class _Part:
    name: str
    kind: str
    step: str
    z0: float
    z1: float


def _step_of(kind: str, name: str, prism: Prism | None, stack: dict) -> str:
    step = STEP_OF.get(kind, "modules")
    if kind in ("busbar", "lead") and prism is not None and prism.z1 <= stack.get("cells", 0.0) + 1e-6:
        return "modules"  # under the cells: fitted to the module before it goes in
    return step


def _footprints(plan: Plan) -> dict[str, list[tuple[BaseGeometry, float, float]]]:
    """Per step, its parts' plan footprints (mm) with their z ranges: prisms as drawn, the cells
    and instanced tiles of a module as one outline per module: the box round them (the envelope
    of their boxes' union, found from their centres without making 28,000 boxes)."""
    import numpy as np
    from shapely.geometry import box

    out: dict[str, list[tuple[BaseGeometry, float, float]]] = {}
    for p in plan.prisms:
        step = _step_of(p.kind, p.name, p, plan.stack)
        out.setdefault(step, []).append((p.polygon, p.z0, p.z1))
    for inst in (plan.cells, *plan.holders, plan.fuses):
        if inst is None or not inst.names:
            continue
        step = STEP_OF.get(inst.kind, "modules")
        dx, dy, dz = inst.extent()
        r = max(dx, dy) / 2
        places = np.array([p[:3] for p in inst.places], float)
        tall = np.array([dz if p[4] == "z" else max(dx, dy) for p in inst.places])
        groups = list(inst.groups or [None] * len(inst.places))
        order: dict[str | None, list[int]] = {}
        for k, group in enumerate(groups):
            order.setdefault(group, []).append(k)
        for members in order.values():  # the box round the group's boxes (each instance's r round its centre)
            x, y, z = places[members].T
            outline = box(x.min() - r, y.min() - r, x.max() + r, y.max() + r)
            out.setdefault(step, []).append((outline, float(z.min()), float((z + tall[members]).max())))
    return out


def precedence(plan: Plan) -> dict[str, set[str]]:
    """Step → the steps that must come before it: those with a part it lies on or above, where
    the two overlap in plan by more than a square millimetre."""
    feet = _footprints(plan)
    before: dict[str, set[str]] = {name: set() for name, _ in STEPS if name in feet}
    for a, parts_a in feet.items():
        for b, parts_b in feet.items():
            if a == b:
                continue
            if any(
                zb0 >= za1 - TOUCH and pa.intersects(pb) and pa.intersection(pb).area > 1.0
                for pa, za0, za1 in parts_a
                for pb, zb0, zb1 in parts_b
            ):
                before[b].add(a)
    return before


def _order(before: dict[str, set[str]], notes: list[str]) -> list[str]:
    """Topological order of the steps present, the VDMA order breaking ties (Kahn's algorithm);
    a cycle is noted and its steps kept in the VDMA order."""
    rank = {name: k for k, (name, _) in enumerate(STEPS)}
    left = dict(before)
    done: list[str] = []
    while left:
        ready = sorted((s for s, deps in left.items() if not (deps - set(done))), key=lambda s: rank[s])
        if not ready:
            stuck = sorted(left, key=lambda s: rank[s])
            notes.append(f"steps {', '.join(stuck)} each lie partly above another: built in the VDMA order")
            done.extend(stuck)
            break
        done.append(ready[0])
        left.pop(ready[0])
    return done


# --- joints and counts -------------------------------------------------------------------------


def _joints(plan: Plan, step: str, pack: ir.Pack, bms: Bms | None, modules: int) -> dict[str, int]:
    prisms = [p for p in plan.prisms if _step_of(p.kind, p.name, p, plan.stack) == step]
    if step == "cold plate":
        perimeter = sum(p.polygon.exterior.length for p in prisms if p.polygon.geom_type == "Polygon")
        return {"bolts": max(4, round(perimeter / FLANGE_PITCH))} if prisms else {}
    if step == "gap filler":
        return {"bonds": modules}
    if step == "modules":
        return {"bolts": HOLD_DOWN_BOLTS * modules, "welds": _terminal_welds(plan, pack, "bottom")}
    if step == "busbars":
        fuses = len(plan.fuses.names) if plan.fuses is not None else 0
        return {"welds": _terminal_welds(plan, pack, "top") - fuses, "bonds": 2 * fuses}
    if step == "sense lines":  # a weld per line at its busbar
        return {"welds": len(bms.sense_lines) if bms is not None else len(prisms)}
    if step == "bms" and bms is not None:
        return {
            "screws": BOARD_SCREWS * len(bms.boards),
            "connectors": len(bms.boards) + 2 * max(len(bms.boards) - 1, 0),
        }
    if step == "hv wiring":
        return {"bolts": LEAD_BOLTS * len(prisms)}
    if step == "lid":
        flange = next((p for p in plan.prisms if p.kind == "flange"), None)
        return {"bolts": len(flange.circles) if flange is not None else 0, "bonds": 1}
    return {}


def _terminal_welds(plan: Plan, pack: ir.Pack, face: str) -> int:
    """Cell terminals joined on ``face``: a round cell has one at each end, each on the busbar of
    its face; a flat cell has both on top."""
    cells = len(plan.cells.names)
    if pack.cell.format.kind != "cylindrical":
        return 2 * cells if face == "top" else 0
    return cells


def _counts(plan: Plan, step: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in plan.prisms:
        if _step_of(p.kind, p.name, p, plan.stack) == step:
            counts[p.kind] = counts.get(p.kind, 0) + 1
    for inst in (plan.cells, *plan.holders, plan.fuses):
        if inst is not None and inst.names and STEP_OF.get(inst.kind, "modules") == step:
            counts[inst.kind] = counts.get(inst.kind, 0) + len(inst.names)
    return counts


def _complexity(plan: Plan, steps: list[Step]) -> Complexity:
    instances = [i for i in (plan.cells, *plan.holders, plan.fuses) if i is not None and i.names]
    unique = sum(1 for p in plan.prisms if p.instance_of is None) + len(instances)
    parts = len(plan.prisms) + sum(len(i.names) for i in instances)
    total: dict[str, int] = {}
    for s in steps:
        for k, n in s.joints.items():
            total[k] = total.get(k, 0) + n
    return Complexity(
        unique,
        parts,
        total.get("welds", 0) + total.get("bonds", 0),
        total.get("bolts", 0) + total.get("screws", 0),
        total.get("connectors", 0),
        len(steps),
    )


# --- the procedure and its pictures --------------------------------------------------------------


def plan_assembly(plan: Plan, pack: ir.Pack, bms: Bms | None = None, modules: int = 1) -> Assembly:
    """The steps, their joints and the complexity of building ``plan``."""
    notes: list[str] = []
    before = precedence(plan)
    order = _order(before, notes)
    actions = dict(STEPS)
    steps = [
        Step(
            k + 1,
            name,
            actions[name],
            _counts(plan, name),
            {k: n for k, n in _joints(plan, name, pack, bms, modules).items() if n},
            tuple(sorted(before.get(name, ()), key=order.index)),
            f"assembly_{k + 1:02d}.png",
        )
        for k, name in enumerate(order)
    ]
    return Assembly(tuple(steps), _complexity(plan, steps), SOURCE, tuple(notes))


def _subplan(plan: Plan, steps: set[str], lid: bool) -> Plan:
    """The plan with only the parts of ``steps``."""

    def keep(inst: Instances | None) -> Instances | None:
        if inst is None or STEP_OF.get(inst.kind, "modules") not in steps:
            return replace(inst, names=[], places=[], colour_keys=[], groups=[]) if inst is not None else None
        return inst

    prisms = [p for p in plan.prisms if _step_of(p.kind, p.name, p, plan.stack) in steps and (p.kind != "lid" or lid)]
    holders = [h for h in (keep(i) for i in plan.holders) if h is not None]
    cells = keep(plan.cells)
    assert cells is not None
    return replace(plan, prisms=prisms, cells=cells, holders=holders, fuses=keep(plan.fuses))


def pictures(plan: Plan, assembly: Assembly) -> dict[str, bytes]:
    """``assembly_NN.png``: the pack after each step, framed on the finished pack. Each step's
    triangles are made once and drawn once: every picture draws its step's parts over the
    picture of the steps before (``preview.Canvas``, whose z-buffer gives the pixels of
    drawing them all at once). The Model S's nine pictures rasterised 1.59 million triangles
    one picture at a time (11 s of CPU), 0.26 million so (1.6 s)."""
    import numpy as np

    from battgen.emit.cad.build import LARGE
    from battgen.emit.cad.preview import Canvas, _corners, _plan_scene

    frame = _bounds(plan)
    thin = len(plan.cells.names) >= LARGE
    scenes = []
    first_part = 0
    for step in assembly.steps:
        sub = _subplan(plan, {step.name}, lid=step.name == "lid")
        one = _plan_scene(sub, thin=thin, width=PICTURE[0], height=PICTURE[1], cutaway=False, lid=True, frame=frame)
        # the parts' numbers (which outline each part) continue from the steps before
        scenes.append(replace(one, parts=one.parts + first_part))
        first_part += int(one.parts.max()) + 1 if len(one.parts) else 0
    canvas = Canvas(*PICTURE, "iso", _corners(frame), sum(len(sc.triangles) for sc in scenes))
    ghosts = scenes[0].ghosts if scenes else np.zeros((0, 3, 3))  # every step's keepouts are the same: once
    out = {}
    for step, scene in zip(assembly.steps, scenes):
        canvas.draw(scene)
        out[step.picture] = canvas.png(ghosts)
    return out


def modules_of(plan: Plan) -> int:
    """The modules in the plan (the cells' sub-assemblies)."""
    return max(len({g for g in plan.cells.groups if g is not None}), 1)
