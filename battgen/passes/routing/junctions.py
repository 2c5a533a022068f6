"""Cell terminals and who owns them: every terminal as a point on a face of the cells (its
polarity from the cell's orientation), and the plate (``Junctions``: series junction or pack
terminal) each one joins.

Each terminal has one *owner* (per string when there are parallel strings): series junction k
joins group k's − terminals and group k+1's + terminals (they lie on the same face because
standing cylinders alternate polarity per group); the pack + plate owns group 0's + terminals,
the pack − plate group S−1's − terminals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from battgen.core import ir
from battgen.core.diagnostics import Diagnostic, Span
from battgen.passes.layout.types import Layout, terminal_groups

CELL_TERMINAL_FRACTION = 0.25  # cylindrical: contact (weld) disc radius / cell diameter


@dataclass(frozen=True)
class Terminals:
    cell: np.ndarray
    group: np.ndarray
    sign: np.ndarray  # +1 / −1
    face: np.ndarray  # index into ``faces``
    xy: np.ndarray  # (n, 2)
    faces: tuple[tuple[float, str], ...]  # (z of the face, "top"/"bottom")
    radius: float  # contact area radius


def terminals(layout: Layout, fmt: ir.CellFormat) -> Terminals:
    """Every cell terminal as a point on a face. Standing cylinders: + on top when ``polarity_up``.
    Prismatic/pouch (and lying cells): both tabs on top, ± 0.3 × width from the centre along the
    cell's width axis, + on the +axis side when ``polarity_up``."""
    cells = layout.cells
    n = len(cells)
    xy = np.array([(c.x, c.y) for c in cells], dtype=float).reshape(n, 2)
    group = np.array([c.group for c in cells], dtype=int)
    up = np.array([c.polarity_up for c in cells], dtype=bool)
    z = np.array([c.z for c in cells], dtype=float)
    idx = np.arange(n)
    cyl = fmt.kind == "cylindrical" and all(c.axis == "z" for c in cells)
    if cyl:
        top = np.round(z + layout.cell_height, 6)
        bot = np.round(z, 6)
        # + terminal face, − terminal face
        pz = np.where(up, top, bot)
        nz = np.where(up, bot, top)
        pside = np.where(up, "top", "bottom")
        nside = np.where(up, "bottom", "top")
        pxy = nxy = xy
        radius = CELL_TERMINAL_FRACTION * fmt.diameter
    else:
        rot = np.array([c.rotation for c in cells], dtype=float)
        half = 0.3 * (fmt.width or fmt.diameter or layout.footprint[0])
        off = np.stack([np.cos(rot), np.sin(rot)], axis=1) * half
        if any(c.axis != "z" for c in cells):
            off = np.array(
                [(0.4 * layout.cell_height, 0.0) if c.axis == "x" else (0.0, 0.4 * layout.cell_height) for c in cells]
            ).reshape(n, 2)
        sgn = np.where(up, 1.0, -1.0)[:, None]
        pxy, nxy = xy + sgn * off, xy - sgn * off
        top = np.round(z + layout.cell_height, 6)
        pz = nz = top
        pside = nside = np.full(n, "top")
        thick = fmt.thickness or layout.footprint[1]
        radius = min(0.12 * (fmt.width or layout.footprint[0]), 0.35 * thick)
    keys = sorted(set(zip(pz.tolist(), pside.tolist())) | set(zip(nz.tolist(), nside.tolist())))
    where = {k: i for i, k in enumerate(keys)}
    pf = np.array([where[k] for k in zip(pz.tolist(), pside.tolist())], dtype=int)
    nf = np.array([where[k] for k in zip(nz.tolist(), nside.tolist())], dtype=int)
    return Terminals(
        np.concatenate([idx, idx]),
        np.concatenate([group, group]),
        np.concatenate([np.ones(n, int), -np.ones(n, int)]),
        np.concatenate([pf, nf]),
        np.concatenate([pxy, nxy]),
        tuple(keys),
        radius,
    )


@dataclass(frozen=True)
class Junctions:
    """The plates of ``strings`` parallel strings of ``series`` groups each (the layout's group
    s·S + k is group k of string s; group 0 is at the pack + end). Series junction k of string
    s — owner s·(S−1) + k — joins group s·S+k's − to group s·S+k+1's +;
    the pack + plate (owner ``plus``) takes every string's first group's +, the pack − plate
    (``minus``) every string's last group's −, so the strings meet only at the pack terminals."""

    series: int
    strings: int = 1

    @property
    def plus(self) -> int:
        return self.strings * (self.series - 1)

    @property
    def minus(self) -> int:
        return self.plus + 1

    def groups(self, owner: int) -> tuple[int, ...]:
        S = self.series
        if owner < self.plus:
            string, k = divmod(owner, S - 1)
            return (string * S + k, string * S + k + 1)
        plus_group, minus_group = terminal_groups(S)
        last = plus_group if owner == self.plus else minus_group
        return tuple(string * S + last for string in range(self.strings))

    def potential(self, owner: int) -> int:
        """The owner's potential in cells above the pack − terminal: pack + is S, series junction
        k (group k's − to group k+1's +) is S − 1 − k in every string, pack − is 0."""
        if owner < self.plus:
            return self.series - 1 - owner % (self.series - 1)
        return self.series if owner == self.plus else 0

    def name(self, owner: int) -> str:
        if owner < self.plus:
            a, b = self.groups(owner)
            return f"series junction {a} → {b}"
        return "pack +" if owner == self.plus else "pack −"

    def owners(self, t: Terminals) -> np.ndarray:
        """Owner of each terminal."""
        S = self.series
        string, k = np.divmod(t.group, S)
        junction = string * (S - 1) + k
        return np.where(t.sign < 0, np.where(k < S - 1, junction, self.minus), np.where(k > 0, junction - 1, self.plus))


def owners(t: Terminals, series: int, strings: int = 1) -> np.ndarray:
    """Owner of each terminal (``Junctions``): with one string, junction k (0..S−2) owns group
    k's − and group k+1's +; S−1 is the pack + plate (group 0's +), S the pack − plate (group
    S−1's −)."""
    return Junctions(series, strings).owners(t)


def owner_faces(
    t: Terminals, own: np.ndarray, junctions: Junctions, layout: Layout, span: Span
) -> dict[int, int] | Diagnostic:
    """The face each owner's plate lies on; E701 if an owner's terminals do not share one face
    (the series path climbs between layers, or cylinders do not alternate polarity)."""
    owner_face = {}
    for o in range(junctions.minus + 1):
        f = np.unique(t.face[own == o])
        if f.size != 1:
            what = junctions.name(o)
            heights = {round(layout.cells[int(c)].z, 9) for c in t.cell[own == o]}
            if len(heights) > 1:  # the series path climbs from one layer of cells to the next here
                return Diagnostic(
                    "E701",
                    f"no route for the {what} busbar: it would join two layers of cells, and "
                    "busbars here lie in one face of one layer",
                    span,
                    "use `layers = 1` (a larger envelope), or fewer cells so that one layer holds them",
                )
            return Diagnostic(
                "E701",
                f"no route for the {what} busbar: its terminals lie on {f.size} different faces",
                span,
                "standing cylindrical cells must alternate polarity group by group",
            )
        owner_face[o] = int(f[0])
    return owner_face
