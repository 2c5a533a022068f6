"""``bom.csv``: the bill of materials (``passes.bom``) as CSV."""

from __future__ import annotations

from collections.abc import Sequence

from battgen.passes.bom import BomLine


def bom_csv(lines: Sequence[BomLine]) -> str:
    """The BOM as CSV: fixed columns and rounding, a total row; the same bytes for the same design."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["item", "part", "quantity", "mass_kg", "cost_usd", "basis"])
    for line in lines:
        writer.writerow(
            [
                line.item,
                line.part,
                "" if line.quantity is None else line.quantity,
                f"{line.mass_kg:.3f}",
                "" if line.cost_usd is None else f"{line.cost_usd:.2f}",
                line.basis,
            ]
        )
    total_cost = sum(line.cost_usd for line in lines if line.cost_usd is not None)
    writer.writerow(["total", "", "", f"{sum(line.mass_kg for line in lines):.3f}", f"{total_cost:.2f}", ""])
    return buffer.getvalue()
