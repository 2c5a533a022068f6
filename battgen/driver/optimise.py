"""Optimisation beyond the grid: NSGA-II over a study's lists and ranges.

pymoo's NSGA-II (Deb, Pratap, Agarwal & Meyarivan, "A fast and elitist multiobjective genetic
algorithm: NSGA-II", IEEE Trans. Evol. Comput. 6(2), 2002; pymoo: Blank & Deb, IEEE Access 8,
2020) is driven ask-and-tell: each generation's designs are asked for, built through the same
pool as a grid (``driver.pool``: the Dask workers), and told back with their objectives and a
constraint. A list variable is a real in [0, n) floored to the index of its choice; a range is
a real within its bounds, written back as source text to four significant figures (the text is
the design, so the rounded value is the one built and reported). The constraint is how far the
variant is from feasible (``passes.study.violation``: 0 when it passed its as-built check and
the study's bounds): NSGA-II prefers any feasible design to an infeasible one, and the less
infeasible among those (Deb's constraint domination).

A design asked for twice (two genomes that round to the same source) is built once: results are
keyed by the variant's hash. ``budget`` bounds the evaluations NSGA-II asks for, repeats
included; the seed makes the run repeatable (same source and seed, same designs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from battgen.core import ir
from battgen.frontend.variants import Settings, Variant, VariantMaker, format_value
from battgen.passes.study import Evaluation, objective_vector, violation

# A range's genome reaches this share of its width beyond each end and is clipped to it, so the
# ends themselves are tried with a finite chance (an optimiser on the open interval only nears
# them): where a trade-off is monotonic in a variable, its best designs sit at an end.
OVERREACH = 0.1
PENALTY = 1e30  # the objectives of a variant with no figure (NSGA-II ranks it by its constraint first)
MAX_GENERATIONS = 10_000  # a bound on the loop; the budget or IDLE_GENERATIONS end it first
IDLE_GENERATIONS = 5  # generations in a row with no new design: the space is exhausted


@dataclass(frozen=True)
class Asked:
    """One design the optimiser asked for: its generation and variant."""

    generation: int
    variant: Variant


def _index(variable: ir.Variable, x: float) -> int:
    return min(max(int(math.floor(x)), 0), len(variable.choices) - 1)


def _clip(variable: ir.Variable, x: float) -> float:
    assert variable.low is not None and variable.high is not None
    return min(max(float(x), variable.low), variable.high)


def decode(study: ir.Study, genome: Sequence[float]) -> Settings:
    """A genome as the variant's settings (variable → source text)."""
    out = []
    for variable, x in zip(study.variables, genome):
        if variable.is_range:
            out.append((variable.name, format_value(variable, _clip(variable, x))))
        else:
            out.append((variable.name, variable.choices[_index(variable, x)].text))
    return tuple(out)


def design_point(study: ir.Study, genome: Sequence[float]) -> list[float]:
    """The design a genome writes, as numbers: a list's index, a range's value as written
    (rounded as ``decode`` rounds it). Equal points, equal designs."""
    out: list[float] = []
    for variable, x in zip(study.variables, genome):
        if variable.is_range:
            text = format_value(variable, _clip(variable, x))
            out.append(float(text.split(" ", 1)[0]))
        else:
            out.append(float(_index(variable, x)))
    return out


def bounds(study: ir.Study) -> tuple[list[float], list[float]]:
    """The genome's bounds: a list's index in [0, n); a range, reaching beyond its ends."""
    lows, highs = [], []
    for variable in study.variables:
        if variable.is_range:
            assert variable.low is not None and variable.high is not None
            reach = OVERREACH * (variable.high - variable.low)
            lows.append(variable.low - reach)
            highs.append(variable.high + reach)
        else:
            lows.append(0.0)
            highs.append(len(variable.choices) - 1e-9)
    return lows, highs


def optimise(
    study: ir.Study,
    maker: VariantMaker,
    evaluate: Callable[[list[Variant]], dict[str, Evaluation]],
) -> list[Asked]:
    """Run NSGA-II on ``study`` until it has evaluated ``study.budget`` distinct designs;
    ``evaluate`` builds a generation's variants (by key). Returns every design asked for, in
    order (a design asked for again is listed again)."""
    import numpy as np
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.duplicate import DefaultDuplicateElimination
    from pymoo.core.problem import Problem
    from pymoo.core.termination import NoTermination
    from pymoo.problems.static import StaticProblem

    lows, highs = bounds(study)
    problem = Problem(
        n_var=len(lows), n_obj=len(study.objectives), n_ieq_constr=1, xl=np.array(lows), xu=np.array(highs)
    )

    def designs(population) -> np.ndarray:
        """Genomes as the designs they write (a list's index, a range's rounded value): two
        genomes that write the same design are duplicates, and mating draws again."""
        return np.array([design_point(study, x) for x in population.get("X")])

    algorithm = NSGA2(pop_size=study.population, eliminate_duplicates=DefaultDuplicateElimination(func=designs))
    algorithm.setup(problem, termination=NoTermination(), seed=study.seed, verbose=False)
    asked: list[Asked] = []
    seen: set[str] = set()
    idle = 0  # generations in a row that asked for nothing new
    for generation in range(MAX_GENERATIONS):
        if len(seen) >= study.budget or idle >= IDLE_GENERATIONS:
            break
        population = algorithm.ask()
        variants: list[Variant] = []
        keep: list[int] = []
        for i, genome in enumerate(population.get("X")):
            variant = maker.variant(decode(study, genome))
            if variant.key not in seen and len(seen | {v.key for v in variants}) >= study.budget:
                break  # the last generation is cut to the budget
            variants.append(variant)
            keep.append(i)
        population = population[keep]
        new = {v.key for v in variants} - seen
        idle = 0 if new else idle + 1
        seen |= new
        results = evaluate(variants)
        objectives, constraint = [], []
        for variant in variants:
            evaluation = results[variant.key]
            vector = objective_vector(evaluation, study.objectives)
            objectives.append([PENALTY if math.isnan(v) else v for v in vector])
            constraint.append([violation(evaluation, study.constraints)])
            asked.append(Asked(generation, variant))
        static = StaticProblem(problem, F=np.array(objectives), G=np.array(constraint))
        algorithm.evaluator.eval(static, population)
        algorithm.tell(infills=population)
    return asked
