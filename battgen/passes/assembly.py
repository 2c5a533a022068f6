"""The assembly procedure's record (``PackBuild.assembly``): the steps, their parts and joints,
and the complexity counts. The CAD stage makes it from its plan (``battgen.emit.cad.assembly``);
the record lives here so that the build type sits below the emitters that read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    number: int  # 1..
    name: str
    action: str
    parts: dict[str, int]  # part kind → count added in this step
    joints: dict[str, int]  # fasteners, welds, bonds, connectors
    after: tuple[str, ...]  # steps this one must follow (the precedence graph's edges into it)
    picture: str  # file name


@dataclass(frozen=True)
class Complexity:
    """Step 8's inputs: the pack's assembly complexity."""

    unique_parts: int  # distinct part designs (solids)
    parts: int
    welds_bonds: int
    fasteners: int
    connectors: int
    steps: int


@dataclass(frozen=True)
class Assembly:
    steps: tuple[Step, ...]
    complexity: Complexity
    source: str
    notes: tuple[str, ...] = ()

    def summary(self) -> str:
        c = self.complexity
        return (
            f"{c.steps} assembly steps ({' → '.join(s.name for s in self.steps)}): {c.parts:,} parts of "
            f"{c.unique_parts} designs, {c.welds_bonds:,} welds and bonds, {c.fasteners:,} fasteners, "
            f"{c.connectors:,} connectors"
        )
