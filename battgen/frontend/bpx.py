"""A cell from a BPX file: the Battery Parameter eXchange format (Faraday Institution; the ``bpx``
package on PyPI validates it) as a ``.batt`` cell declaration.

``import_bpx(path)`` reads the JSON, validates it with ``bpx.parse_bpx_obj`` (a legacy v0.x file
is converted to the v1 schema, as bpx does, and said so) and maps what BPX has:

============================  ===================================================================
battgen                       BPX
============================  ===================================================================
``capacity``                  ``Cell.Nominal cell capacity [A.h]``
``voltage in lo .. hi``       ``Cell.Lower/Upper voltage cut-off [V]``
``ocv``                       the electrodes' ``OCP [V]`` at the stoichiometries of each SOC
                              (linear between the ``Minimum/Maximum stoichiometry`` limits, as
                              ``bpx.get_electrode_stoichiometries``): U = U₊(x₊) − U₋(x₋), 11 points
``nominal``                   the mean of that OCV over 0-100 % SOC (the energy over the charge)
``entropic``                  the electrodes' ``Entropic change coefficient [V.K-1]`` the same way,
                              at the same SOCs: dU/dT = dU₊/dT(x₊) − dU₋/dT(x₋)
``mass``                      ``Cell.Density [kg.m-3]`` × ``Cell.Volume [m3]``
``specific_heat``             ``Cell.Specific heat capacity [J.K-1.kg-1]``
``chemistry``                 a chemistry named in ``Header.Title``/``Description`` ("LFP", "NMC811", ...)
``format``                    a cylindrical designation in the title or description ("18650":
                              IEC 61960-3, diameter 18 mm, height 65.0 mm)
``source``                    ``Header.Title`` and the file's name
============================  ===================================================================

What BPX does not carry — the DC resistance a datasheet states, the continuous discharge rating,
a pouch or prismatic cell's dimensions, the chemistry when no text names it — is asked for: a
W821 warning per property, with the line to add as its hint, and a commented line in the cell
(``--set`` on the command line fills it in). A file that is not JSON, or not BPX, gets E820
diagnostics on the key the validator names (located in the text), never a traceback. Thermal
conductivity (a legacy ``Cell`` key, or ``User-defined``) has no cell property here: noted.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from battgen.core.diagnostics import Diagnostic, Severity, Span

OCV_POINTS = 11  # 0, 10, ..., 100 % SOC
_CHEMISTRY_WORDS = (  # (pattern, battgen chemistry), most specific first
    (r"\bnmc[\s-]?811\b|\bncm[\s-]?811\b", "nmc811"),
    (r"\bnmc[\s-]?622\b", "nmc622"),
    (r"\bnmc[\s-]?532\b", "nmc532"),
    (r"\bnmc[\s-]?111\b", "nmc111"),
    (r"\blmfp\b", "lmfp"),
    (r"\blfp\b|lifepo4|iron phosphate", "lfp"),
    (r"\bnca\b", "nca"),
    (r"\blto\b|titanate", "lto"),
    (r"\blmo\b", "lmo"),
    (r"\bnmc\b", "nmc"),
)
# IEC 61960-3 cylindrical cell designations: two digits of diameter (mm), three of height (0.1 mm)
_CYLINDRICAL = re.compile(r"\b(1[0-9]|2[0-9]|3[0-9]|4[0-9])(\d{3})\b")
ASKED = {  # what BPX lacks → (the line to add, what it is)
    "format": ("format = cylindrical(diameter = 21 mm, height = 70 mm)", "the cell's format and dimensions"),
    "chemistry": ("chemistry = nmc811", "the cathode chemistry"),
    "resistance": ("resistance = 20 mOhm", "the DC internal resistance (at 50 % SOC, 25 °C: the datasheet's)"),
    "discharge": ("discharge <= 10 A", "the maximum continuous discharge current (the datasheet's)"),
    "mass": ("mass = 70 g", "the cell's mass"),
    "nominal": ("nominal = 3.6 V", "the nominal voltage"),
}


@dataclass
class BpxImport:
    """What ``import_bpx`` made: the cell's ``.batt`` text (None when the file is unusable), the
    cell's name, and the diagnostics (spans in the BPX file)."""

    name: str
    text: str | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)  # property → its .batt value text


def cell_name(path: Path) -> str:
    """A .batt name from the file's name: ``nmc_pouch_cell_BPX.json`` → ``nmc_pouch_cell_bpx``."""
    stem = path.name.split(".")[0].lower()
    name = re.sub(r"[^a-z0-9_]+", "_", stem).strip("_") or "bpx_cell"
    return name if name[0].isalpha() else f"cell_{name}"


class _Locator:
    """Spans in the JSON text: a key path found key by key, each after the one before."""

    def __init__(self, file: str, text: str):
        self.file, self.text = file, text

    def span(self, path=()) -> Span:
        at, found = 0, None
        for key in path:
            if not isinstance(key, str):
                continue
            i = self.text.find(json.dumps(key), at)
            if i < 0:
                break
            at, found = i, (i, i + len(json.dumps(key)))
        if found is None:
            return Span(self.file, 1, 1, 1, 2)
        return Span(self.file, *self._line_col(found[0]), *self._line_col(found[1]))

    def at(self, line: int, column: int) -> Span:
        return Span(self.file, line, column, line, column + 1)

    def _line_col(self, offset: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1


def _malformed(where: _Locator, message: str, path=(), hint: str = "") -> Diagnostic:
    return Diagnostic(
        "E820",
        f"not a valid BPX file: {message}",
        where.span(path),
        hint or "check it against the BPX schema (python -c 'import bpx; print(bpx.BPX.model_json_schema())')",
    )


def _parse(text: str, where: _Locator) -> tuple[object | None, list[Diagnostic]]:
    """The validated BPX model and the diagnostics of reading it."""
    try:
        raw = json.loads(text)
    except ValueError as error:  # json.JSONDecodeError
        line, col = getattr(error, "lineno", 1), getattr(error, "colno", 1)
        return None, [
            Diagnostic("E820", f"not a valid BPX file: not JSON ({error.args[0].split(':')[0]})", where.at(line, col))
        ]
    if not isinstance(raw, dict) or not isinstance(raw.get("Header"), dict) or "BPX" not in raw["Header"]:
        return None, [_malformed(where, "no `Header` with its `BPX` version", ("Header",))]
    import bpx
    from pydantic import ValidationError

    found: list[Diagnostic] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = bpx.parse_bpx_obj(raw)
        except ValidationError as error:
            for e in error.errors()[:20]:
                loc = tuple(str(k) for k in e.get("loc", ()))
                found.append(_malformed(where, f"{' › '.join(loc) or 'the file'}: {e.get('msg', '')}", loc))
            return None, found
        except Exception as error:  # noqa: BLE001 - bpx's own failure on a malformed file is a diagnostic, never a traceback
            return None, [_malformed(where, f"{type(error).__name__}: {error}")]
    said = (w for w in caught if not issubclass(w.category, DeprecationWarning))  # bpx's, not its libraries'
    for text_w in dict.fromkeys(str(w.message).split(";")[0].strip() for w in said):  # once each, in order
        found.append(
            Diagnostic(
                "W822",
                f"BPX: {text_w}",
                where.span(("Header", "BPX")),
                "the bpx package's own warning",
                Severity.WARNING,
            )
        )
    return model, found


def _function(value):
    """A BPX float, expression (``Function``) or table (``InterpolatedTable``) as f(x)."""
    import numpy as np

    if isinstance(value, int | float):
        return lambda x: np.full(np.shape(x), float(value))
    if hasattr(value, "x") and hasattr(value, "y"):
        xs, ys = np.asarray(value.x, float), np.asarray(value.y, float)
        return lambda x: np.interp(x, xs, ys)
    if hasattr(value, "to_python_function"):
        return np.vectorize(value.to_python_function(), otypes=[float])
    return None


def _electrodes(model) -> tuple | None:
    """((negative, positive) electrode models, each with one particle) or None (blended)."""
    p = model.parameterisation
    out = []
    for electrode in (p.negative_electrode, p.positive_electrode):
        if getattr(electrode, "ocp", None) is None:
            return None  # blended: particles of their own
        out.append(electrode)
    return tuple(out)


def _over_soc(model, attribute: str):
    """The cell's value of an electrode property at SOC 0..1 (``OCV_POINTS``, and a fine grid
    for the mean): positive minus negative at the stoichiometries of each SOC."""
    import numpy as np

    pair = _electrodes(model)
    if pair is None:
        return None
    neg, pos = pair
    f_n, f_p = _function(getattr(neg, attribute, None)), _function(getattr(pos, attribute, None))
    if f_n is None or f_p is None:
        return None
    soc = np.linspace(0.0, 1.0, 201)
    x_n = neg.minimum_stoichiometry + soc * (neg.maximum_stoichiometry - neg.minimum_stoichiometry)
    x_p = pos.maximum_stoichiometry - soc * (pos.maximum_stoichiometry - pos.minimum_stoichiometry)
    values = np.asarray(f_p(x_p), float) - np.asarray(f_n(x_n), float)
    return soc, values


def _chemistry(text: str) -> tuple[str, str] | None:
    for pattern, chemistry in _CHEMISTRY_WORDS:
        hit = re.search(pattern, text, re.IGNORECASE)
        if hit:
            return chemistry, hit.group(0)
    return None


def _format(text: str) -> tuple[str, str] | None:
    if "cylindrical" not in text.lower() and not re.search(r"\b(18650|21700|26650|46800|4680)\b", text):
        return None
    hit = _CYLINDRICAL.search(text)
    if hit is None:
        return None
    diameter, height = int(hit.group(1)), int(hit.group(2)) / 10
    return f"cylindrical(diameter = {diameter} mm, height = {height:g} mm)", hit.group(0)


def _map(model, raw: dict, file: str) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Property → (.batt value, where it came from), and notes."""
    import numpy as np

    cell = model.parameterisation.cell
    header = model.header
    words = f"{header.title or ''} {header.description or ''}"
    props: dict[str, tuple[str, str]] = {}
    notes: list[str] = []
    fmt = _format(words)
    if fmt:
        props["format"] = (fmt[0], f'the designation "{fmt[1]}" in the BPX header (IEC 61960-3)')
    chem = _chemistry(words)
    if chem:
        props["chemistry"] = (chem[0], f'"{chem[1]}" in the BPX header')
    ocv = _over_soc(model, "ocp")
    if ocv is not None:
        soc, volts = ocv
        mean = float(np.trapezoid(volts, soc))
        props["nominal"] = (f"{mean:.3f} V", "mean of the OCV from the BPX electrode OCPs over 0-100 % SOC")
        picks = np.linspace(0, len(soc) - 1, OCV_POINTS).round().astype(int)
        table = ", ".join(f"({soc[k] * 100:g} %, {volts[k]:.4f} V)" for k in picks)
        props["ocv"] = (f"[{table}]", "the BPX electrode OCPs at the stoichiometry limits' SOC")
    else:
        notes.append("blended electrodes: OCV and nominal voltage not mapped")
    lo, hi = cell.lower_voltage_cutoff, cell.upper_voltage_cutoff
    props["voltage"] = (f"{lo:g} V .. {hi:g} V", "BPX lower and upper voltage cut-off")
    props["capacity"] = (f"{cell.nominal_cell_capacity:g} Ah", "BPX nominal cell capacity")
    if cell.density is not None and cell.volume is not None:
        props["mass"] = (f"{cell.density * cell.volume * 1e3:.4g} g", "BPX density × volume")
    if cell.specific_heat_capacity is not None:
        props["specific_heat"] = (f"{cell.specific_heat_capacity:g} J/kg/K", "BPX specific heat capacity")
    entropic = _over_soc(model, "dudt")
    if entropic is not None:
        soc, dudt = entropic
        picks = np.linspace(0, len(soc) - 1, OCV_POINTS).round().astype(int)
        table = ", ".join(f"({soc[k] * 100:g} %, {dudt[k] * 1e3:.4f} mV/K)" for k in picks)
        props["entropic"] = (f"[{table}]", "the BPX electrodes' entropic change coefficients at the SOCs of `ocv`")
    conductivity = (raw.get("Parameterisation", {}).get("Cell", {}) or {}).get("Thermal conductivity [W.m-1.K-1]")
    if conductivity is not None:
        notes.append(
            f"thermal conductivity {conductivity} W/(m·K) in the BPX file: battgen's cells have no such property"
        )
    title = (header.title or "").strip().rstrip(".")
    source = f"BPX file {file}" + (f": {title}" if title else "")
    props["source"] = (json.dumps(source, ensure_ascii=False), "the BPX header")
    return props, notes


ORDER = (
    "format",
    "chemistry",
    "nominal",
    "voltage",
    "capacity",
    "mass",
    "resistance",
    "discharge",
    "specific_heat",
    "entropic",
    "ocv",
    "source",
)


def _text(
    name: str, file: str, model, props: dict[str, tuple[str, str]], sets: dict[str, str], notes: list[str]
) -> str:
    header = model.header
    lines = [
        f"# Imported from {file} by `battc import-bpx` (BPX {header.bpx}, {header.model} parameter set).",
        *(f"# {note}" for note in notes),
        f"cell {name} {{",
    ]
    width = max(len(p) for p in ORDER)
    for prop in ORDER:
        pad = prop.ljust(width)
        if prop in sets:
            lines.append(f"    {sets[prop]}  # given to import-bpx")
        elif prop in props:
            value, where = props[prop]
            op = "in" if prop == "voltage" else "="
            lines.append(f"    {pad} {op} {value}  # {where}")
        elif prop in ASKED:
            line, what = ASKED[prop]
            lines.append(f"    # {line}  -- not in the BPX file ({what}): add yours")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _property_of(line: str) -> str:
    return re.split(r"[\s=<>]", line.strip(), maxsplit=1)[0]


def import_bpx(path: Path, name: str | None = None, sets: tuple[str, ...] = ()) -> BpxImport:
    """The cell of the BPX file ``path`` as ``.batt`` text. ``sets``: property lines to put in as
    given (``resistance = 20 mOhm``), for what BPX lacks."""
    name = name or cell_name(path)
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        return BpxImport(name, None, [Diagnostic("E801", f"cannot read `{file}`: {reason}", Span(file, 1, 1, 1, 1))])
    where = _Locator(file, text)
    model, diagnostics = _parse(text, where)
    if model is None:
        return BpxImport(name, None, diagnostics)
    props, notes = _map(model, json.loads(text), path.name)
    given = {_property_of(line): line.strip() for line in sets}
    cell_span = where.span(("Parameterisation", "Cell"))
    for prop, (line, what) in ASKED.items():
        if prop not in props and prop not in given:
            diagnostics.append(
                Diagnostic(
                    "W821",
                    f"the BPX file does not give {what}: cell `{name}` needs `{prop}`",
                    cell_span,
                    f'add `{line}` (your figure) to cell `{name}`, or pass --set "{line}"',
                    Severity.WARNING,
                )
            )
    from battgen.frontend.format import format_text

    cell = _text(name, path.name, model, props, given, notes)
    formatted, _ = format_text(cell)  # battc fmt's layout (None if a --set line does not parse: as given)
    result = BpxImport(name, formatted or cell, diagnostics)
    result.properties = {p: v for p, (v, _) in props.items()}
    return result
