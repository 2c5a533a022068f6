"""Lowering one declaration: its properties checked against the schema, then built into IR.

``_lower_definition`` lowers a declaration once per project (a reference cycle lowers to
nothing rather than recursing). ``_DeclLowering.run`` checks each property line — known to
the kind, set once, written in a form its schema allows (``=``, ``>=``, ``<=``, ``in``,
``for``, a name, ``at``) — types its value (``typed``, through the constructors and checks it
builds on), reports missing required properties, and hands the values to the builder of the
declaration's kind (``build_cell``, ``build_material``, ``build_envelope``, ``build_pack``,
``build_study`` in ``studies``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from battgen.core import ir, plane
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Fix, Related
from battgen.core.limits import MAX_CELLS, MAX_LAYERS
from battgen.frontend import ast
from battgen.frontend.messages import _example, _shown, _suggest
from battgen.frontend.resolve import Definition, Lowering, _Project
from battgen.frontend.studies import StudyLowering, module_series_conflict
from battgen.frontend.values import Invalid, ListV, PointV, Text, Value

# A declaration's lowered properties by name: (value, its line); a repeated, named property
# (``keepout NAME = ...``) as (name, value, line) each. A value is what its schema entry
# (core/schema.py) makes of it — a float, count, word, bound or IR part — and the builders
# read each by its property's name, which a static type cannot follow.
Values = dict[str, tuple[Any, ast.Property]]
Qualified = dict[str, list[tuple[Any, Any, ast.Property]]]

# What one property's value lowers to, by its schema kind (a bound is an ``ir.Bound``).
PropertyValue = (
    float
    | int
    | str
    | Lowering
    | ir.Shape
    | ir.CellFormat
    | ir.Cooling
    | ir.Busbar
    | ir.Enclosure
    | ir.Barrier
    | tuple[ir.RatePoint, ...]
    | tuple[tuple[float, float], ...]
    | tuple[ir.Choice, ...]
    | tuple[int, ...]
)


def _lower_definition(project: _Project, definition: Definition) -> Lowering | None:
    key = (definition.file, definition.name)
    if key in project.lowered:
        return project.lowered[key]
    if key in project.in_progress:
        return None
    project.in_progress.add(key)
    lowering = _DeclLowering(project, definition)
    value = lowering.run()
    project.in_progress.discard(key)
    project.lowered[key] = value
    return value


def _getter(values: Values, kind: str) -> Callable[[str], Any]:
    """The value of a property as written, else its schema default (``Prop.value``, SI)."""
    props = sc.PROPS[kind]

    def get(name: str) -> Any:
        return values[name][0] if name in values else props[name].value

    return get


class _DeclLowering(StudyLowering):
    """One declaration: the driver and the builders (over the study lowering, constructors,
    checks and expression evaluation it inherits)."""

    def lower(self, definition: Definition) -> Lowering | None:
        return _lower_definition(self.project, definition)

    # the declaration

    def run(self) -> Lowering | None:
        specs = sc.PROPS[self.kind]
        seen: dict[tuple[str, str | None], ast.Property] = {}
        values: Values = {}
        qualified: Qualified = {}
        for prop in self.decl.props:
            spec = specs.get(prop.name)
            if spec is None:
                close = _suggest(prop.name, specs)
                hint = f"did you mean `{close}`?" if close else f"a {self.kind} takes: " + ", ".join(specs)
                fixes = (Fix(f"change to `{close}`", prop.name_span, close),) if close else ()
                self.error(
                    "E204", f"`{prop.name}` is not a property of a {self.kind}", prop.name_span, hint, fixes=fixes
                )
                continue
            key = (prop.name, prop.qualifier)
            if key in seen:
                self.error(
                    "E206",
                    f"`{prop.name}{' ' + prop.qualifier if prop.qualifier else ''}` is set twice",
                    prop.name_span,
                    "keep one of them",
                    related=(Related(seen[key].span, "first set here"),),
                )
                continue
            seen[key] = prop
            value = self.property(spec, prop)
            if value is None:
                continue
            if spec.qualified:
                qualified.setdefault(prop.name, []).append((prop.qualifier, value, prop))
            else:
                values[prop.name] = (value, prop)
        for spec in specs.values():
            if spec.required and spec.name not in values and spec.name not in qualified:
                if not self._missing_because_of_error(spec.name):
                    self.error(
                        "E205",
                        f"{self.kind} `{self.decl.name}` needs `{spec.name}` ({spec.doc})",
                        self.decl.name_span,
                        f"add a line `{_example(spec)}`",
                    )
                else:
                    self.failed = True
        if self.failed or not self.decl.complete:
            return None
        builder = getattr(self, f"build_{self.kind}")
        return builder(values, qualified)

    def _missing_because_of_error(self, name: str) -> bool:
        """A required property whose line had a syntax error is not reported missing too."""
        return any(p.name == name for p in self.decl.props) or name in self.decl.broken or not self.decl.complete

    # one property

    def property(self, spec: sc.Prop, prop: ast.Property) -> PropertyValue | ir.Bound | None:
        """One property line: its form checked (``written_as_allowed``), its ``for`` duration,
        then its value (``=``) or the ends of its bound (``>=``, ``<=``, ``in``)."""
        if not self.written_as_allowed(spec, prop):
            return None
        duration = None
        if prop.duration is not None:
            q = self.expect_quantity(self.evaluate(prop.duration), u.TIME, "the duration", positive=True)
            if q is None:
                return None
            duration = q
        if prop.op == "=" and spec.listed:  # a study's values to try, `[a, b, c]`
            return self.choices(spec, prop)
        if prop.op == "=":
            value = self.typed(spec, prop.value, prop)
            if value is None:
                return None
            if spec.kind == sc.QUANTITY or spec.kind == sc.COUNT or spec.kind == sc.NUMBER:
                # a fixed value is also a degenerate bound (`voltage = 350 V`, `modules = 4`)
                if spec.ops != sc.SET_ONLY:
                    number = cast(float, value)  # a quantity or a count
                    return ir.Bound(number, number, prop.span, duration)
            return value
        return self.bound(spec, prop, duration)

    def written_as_allowed(self, spec: sc.Prop, prop: ast.Property) -> bool:
        """The line's operator, ``for``, name after the property and ``at`` are ones its
        schema entry takes; else reported."""
        if prop.op not in spec.ops:
            forms = {
                "=": "set with `=`",
                ">=": "bounded with `>=`",
                "<=": "bounded with `<=`",
                "in": "bounded with `in low .. high`",
            }
            allowed = " or ".join(forms[o] for o in spec.ops)
            self.error(
                "E213",
                f"`{spec.name}` is {allowed}, not {forms[prop.op].split(' with')[0]} with `{prop.op}`",
                prop.name_span,
                f"write `{_example(spec)}`",
            )
            return False
        if prop.duration is not None and not spec.duration:
            self.error("E213", f"`{spec.name}` takes no `for` duration", prop.duration.span, "remove `for ...`")
            return False
        if spec.qualified and prop.qualifier is None:
            self.error(
                "E213",
                f"`{spec.name}` needs a name: `{spec.name} NAME = ...`",
                prop.name_span,
                f"e.g. `{spec.name} tunnel = rect(300 mm, 1380 mm) at (790 mm, 0 mm)`",
            )
            return False
        if not spec.qualified and prop.qualifier is not None:
            self.error(
                "E213", f"`{spec.name}` takes no name after it", prop.qualifier_span, f"write `{spec.name} = ...`"
            )
            return False
        if prop.at is not None and spec.kind != sc.SHAPE:
            self.error("E213", f"`{spec.name}` cannot be placed with `at`", prop.at.span, "remove `at (...)`")
            return False
        return True

    def bound(self, spec: sc.Prop, prop: ast.Property, duration: float | None) -> ir.Bound | None:
        """``name >= low``, ``name <= high`` or ``name in low .. high`` (not empty)."""
        low = high = None
        if prop.op == ">=":
            low = self.bound_end(spec, prop.value, prop)
            if low is None:
                return None
        elif prop.op == "<=":
            high = self.bound_end(spec, prop.value, prop)
            if high is None:
                return None
        else:
            low = self.bound_end(spec, prop.value, prop)
            high = self.bound_end(spec, prop.high, prop)
            if low is None or high is None:
                return None
            if low > high:
                self.error(
                    "E401",
                    f"`{spec.name}` range is empty: {_shown(prop.value)} is above {_shown(prop.high)}",
                    prop.value.span.to(prop.high.span),
                    "swap the two ends",
                )
                return None
        return ir.Bound(low, high, prop.span, duration)

    def bound_end(self, spec: sc.Prop, node: ast.Node, prop: ast.Property) -> float | None:
        """One end of a bound, typed: the schema bounds only quantities and counts (a number)."""
        return cast("float | None", self.typed(spec, node, prop))

    def typed(self, spec: sc.Prop, node: ast.Node, prop: ast.Property) -> PropertyValue | None:
        """Evaluate ``node`` as the value ``spec`` wants: a float (SI), int, str or IR part."""
        value = self.evaluate(node)
        if isinstance(value, Invalid):
            return None
        kind = spec.kind
        if kind == sc.QUANTITY:
            q = self.expect_quantity(value, spec.dim, f"`{spec.name}`", spec=spec)
            return None if q is None else q
        if kind in (sc.COUNT, sc.NUMBER):
            return self.expect_count(value, spec, whole=kind == sc.COUNT)
        if kind == sc.STRING:
            if not isinstance(value, Text):
                self.error(
                    "E302",
                    f"`{spec.name}` needs a string in double quotes",
                    value.span,
                    f'e.g. `{spec.name} = "maker, document, revision, date"`',
                )
                return None
            return value.value
        if kind == sc.OPTION:
            return self.expect_option(value, spec.options, f"`{spec.name}`")
        if kind == sc.REF:
            return self.expect_ref(value, spec.ref_kind, spec.name)
        if kind == sc.SHAPE:
            return self.shape(value, prop.at)
        if kind == sc.FORMAT:
            return self.cell_format(value)
        if kind == sc.COOLING:
            return self.cooling(value)
        if kind == sc.CONDUCTOR:
            return self.conductor(value)
        if kind == sc.ENCLOSURE:
            return self.enclosure(value)
        if kind == sc.BARRIER:
            return self.barrier(value)
        if kind == sc.RATE_TABLE:
            return self.rate_table(value)
        if kind == sc.ENTROPIC:
            return self.entropic(spec, value)
        if kind == sc.OCV_TABLE:
            return self.ocv_table(value)
        if kind == sc.COUNT_LIST:
            return self.count_list(spec, value)
        raise AssertionError(kind)

    def count_list(self, spec: sc.Prop, value: Value) -> tuple[int, ...] | None:
        """``[10, 10, 8]``: whole numbers in the order written, each checked as a count."""
        if not isinstance(value, ListV) or not value.items:
            self.error(
                "E302",
                f"`{spec.name}` needs a list of whole numbers",
                value.span,
                f"e.g. `{spec.name} = [10, 10, 8]`",
            )
            return None
        out = []
        for item in value.items:
            count = self.expect_count(item, spec)
            if count is None:
                return None
            out.append(int(count))
        return tuple(out)

    def entropic(self, spec: sc.Prop, value: Value) -> tuple[tuple[float, float], ...] | None:
        """A cell's dU/dT: a constant (one point) or (SOC, dU/dT) points sorted by SOC."""
        if not isinstance(value, ListV):
            q = self.expect_quantity(value, u.ENTROPIC, "`entropic`", spec=spec)
            return None if q is None else ((0.5, q),)
        points: dict[float, float] = {}
        for item in value.items or [value]:
            if not isinstance(item, PointV):
                self.error("E302", "each entry is a point `(SOC, dU/dT)`", item.span, "e.g. `(50 %, 0.01 mV/K)`")
                return None
            soc = self.expect_quantity(item.x, u.DIMENSIONLESS, "the state of charge")
            slope = self.expect_quantity(item.y, u.ENTROPIC, "`entropic`", spec=spec)
            if soc is None or slope is None:
                return None
            if not 0.0 <= soc <= 1.0:
                self.error("E406", "a state of charge lies between 0 % and 100 %", item.x.span, "e.g. `50 %`")
                return None
            points[soc] = slope
        return tuple(sorted(points.items()))

    # builders

    def build_cell(self, values: Values, qualified: Qualified) -> ir.Cell | None:
        get = lambda name, default=None: values[name][0] if name in values else default  # noqa: E731
        voltage = get("voltage")  # an ir.Bound with both ends (`in low .. high`)
        nominal = get("nominal")
        if not (voltage.low < nominal < voltage.high):
            prop = values["nominal"][1]
            self.error(
                "E406",
                f"the nominal voltage {u.format_quantity(nominal, u.VOLTAGE)} lies outside the "
                f"cell's window {u.format_quantity(voltage.low, u.VOLTAGE)} .. "
                f"{u.format_quantity(voltage.high, u.VOLTAGE)}",
                prop.value.span,
                "check both values",
                related=(Related(values["voltage"][1].span, "the voltage window"),),
            )
            return None
        pulse: ir.Bound | None = get("pulse")
        discharge = get("discharge")  # an ir.Bound with its high end (`<= ...`)
        temperature: ir.Bound | None = get("temperature")
        charge: ir.Bound | None = get("charge")
        pressure: ir.Bound | None = get("pressure")  # written only as `in low .. high`: both ends set
        return ir.Cell(
            name=self.decl.name,
            format=get("format"),
            chemistry=get("chemistry"),
            nominal_voltage=nominal,
            min_voltage=voltage.low,
            max_voltage=voltage.high,
            capacity=get("capacity"),
            mass=get("mass"),
            resistance=get("resistance"),
            max_discharge_current=discharge.high,
            source=get("source"),
            span=self.decl.span,
            pulse_current=pulse.high if pulse else None,
            pulse_duration=pulse.duration if pulse else None,
            max_charge_current=charge.high if charge else None,
            rate_capacity=get("rate_capacity", ()),
            cycle_life=get("cycle_life"),
            min_temperature=temperature.low if temperature else None,
            max_temperature=temperature.high if temperature else None,
            specific_heat=get("specific_heat"),
            cost=get("cost"),
            ocv=get("ocv", ()),
            entropic=get("entropic", ()),
            pressure=cast("tuple[float, float]", (pressure.low, pressure.high)) if pressure else None,
        )

    def build_material(self, values: Values, qualified: Qualified) -> ir.Material:
        get = lambda name, default=None: values[name][0] if name in values else default  # noqa: E731
        return ir.Material(
            name=self.decl.name,
            role=get("role"),
            density=get("density"),
            source=get("source"),
            span=self.decl.span,
            resistivity=get("resistivity"),
            temperature_coefficient=get("temperature_coefficient"),
            specific_heat=get("specific_heat"),
            conductivity=get("conductivity"),
            melting_point=get("melting_point"),
            viscosity=get("viscosity"),
            modulus=get("modulus"),
            yield_strength=get("yield_strength"),
            fatigue_limit=get("fatigue_limit"),
            cost=get("cost"),
        )

    def build_envelope(self, values: Values, qualified: Qualified) -> ir.Envelope | None:
        get = _getter(values, "envelope")
        keepouts = tuple(ir.Keepout(name, shape, prop.span) for name, shape, prop in qualified.get("keepout", []))
        spans = {name: prop.span for name, (_, prop) in values.items()}
        envelope = ir.Envelope(
            self.decl.name, get("outline"), get("height"), keepouts, get("wall"), self.decl.span, property_spans=spans
        )
        return envelope if self.floor_left(envelope, values, qualified) else None

    def floor_left(self, envelope: ir.Envelope, values: Values, qualified: Qualified) -> bool:
        """The envelope's floor plan judged before any pack uses it: a wall that leaves no floor
        or a keepout over the whole outline is E408 (nothing could be built); a keepout wholly
        outside the outline is W403 (it keeps nothing out: usually a wrong `at`)."""
        outline = envelope.outline
        shape = outline.vertices()
        wall, smallest = envelope.wall, None
        if outline.kind in ("rect", "rounded_rect"):
            smallest = min(outline.width, outline.depth)
        elif outline.kind == "circle":
            smallest = 2 * outline.radius
        if smallest is not None and wall > 0 and 2 * wall >= smallest:
            self.error(
                "E408",
                f"`wall = {u.format_quantity(wall, u.LENGTH)}` leaves no floor: the outline is "
                f"{u.format_quantity(smallest, u.LENGTH)} across and the wall is kept on every side",
                values["wall"][1].span,
                f"a wall under half of {u.format_quantity(smallest, u.LENGTH)}",
            )
            return False
        for name, keepout_shape, prop in qualified.get("keepout", []):
            keepout = keepout_shape.vertices()
            if plane.within(shape, keepout):
                self.error(
                    "E408",
                    f"keepout `{name}` covers the whole outline of `{envelope.name}`: no floor is left for cells",
                    prop.span,
                    "check its size and its `at` position",
                )
                return False
            if not plane.meet(keepout, shape):
                self.warning(
                    "W403",
                    f"keepout `{name}` lies wholly outside the outline of `{envelope.name}`: it keeps nothing out",
                    prop.span,
                    "check its `at` position: a rect outline runs from (0 mm, 0 mm) to (width, depth)",
                )
        return True

    def within_limits(self, values: Values, series: int | None, parallel: int | None, layers: int) -> bool:
        """Fixed counts whose product is more cells than battgen builds (E504), and more layers
        than a build joins (W402: the estimate and the layout use ``MAX_LAYERS``)."""
        if series is not None and parallel is not None and series * parallel > MAX_CELLS:
            self.error(
                "E504",
                f"`series = {series}` and `parallel = {parallel}` make {series * parallel:,} cells; battgen builds "
                f"at most {MAX_CELLS:,} cells a pack (MAX_CELLS)",
                values["parallel"][1].span,
                "docs/limits.md lists battgen's limits and why",
                related=(Related(values["series"][1].span, f"`series = {series}`"),),
            )
            return False
        if layers > MAX_LAYERS:
            self.warning(
                "W402",
                f"`layers = {layers}`: a build joins cells in at most {MAX_LAYERS} layer (MAX_LAYERS: busbars lie "
                "in one face of one layer), so the pack is sized and laid out in one",
                values["layers"][1].span,
                "write `layers = 1`, or give the pack a larger floor",
            )
        return True

    def _library_material(self, name: str) -> ir.Material | None:
        """The material ``name`` a default is made of, from the prelude: a declaration of the
        same name in the file that is not a material (an envelope called ``aluminium``) does
        not shadow it."""
        definition = self.project.lookup(self.file_path, name)
        if definition is None or definition.kind != "material":
            definition = self.project.prelude.get(name)
        if definition is None:
            return None
        value = _lower_definition(self.project, definition)
        return value if isinstance(value, ir.Material) else None

    def modules_agree(self, values: Values, sizes: tuple[int, ...]) -> bool:
        """``module_series`` fixes S (its sum, per string) and the module count (its length, per
        string): E503 on the list when ``series`` or ``modules`` says otherwise
        (``studies.module_series_conflict``, which a study's lists to try are checked by too)."""
        strings = values["strings"][0] if "strings" in values else 1
        series = values["series"][0] if "series" in values else None
        modules = values["modules"][0] if "modules" in values else None
        conflict = module_series_conflict(sizes, strings, series, modules)
        if conflict is None:
            return True
        which, message, hint = conflict
        note = f"S = {series} here" if which == "series" else "the module count here"
        self.error(
            "E503",
            message,
            values["module_series"][1].value.span,
            hint,
            related=(Related(values[which][1].span, note),),
        )
        return False

    def build_pack(self, values: Values, qualified: Qualified) -> ir.Pack | None:
        get = _getter(values, "pack")
        requirements: dict[str, ir.Bound] = {name: values[name][0] for name in sc.REQUIREMENTS if name in values}
        soc = get("soc")
        busbar = get("busbar")
        if busbar is None:  # the schema's default: aluminium(thickness = 2 mm)
            material = self._library_material("aluminium")
            busbar = ir.Busbar(material, 0.002) if material else None
        enclosure = get("enclosure")  # None: BatPaC's jacket (models.packaging)
        cooling = get("cooling") or ir.Cooling("cold_plate")
        cell = get("cell")
        if not self.within_limits(values, get("series"), get("parallel"), get("layers")):
            return None
        module_series = get("module_series")
        if module_series is not None and not self.modules_agree(values, module_series):
            return None
        if cooling.fins is not None and cell is not None and cell.format.kind == "cylindrical":
            self.error(
                "E213",
                f"`fins` go between flat cells; `{cell.name}` is cylindrical",
                values["cooling"][1].span,
                "round cells take the plate's heat through their ends: drop `fins`",
            )
        return ir.Pack(
            name=self.decl.name,
            cell=cell,
            envelope=get("envelope"),
            span=self.decl.span,
            name_span=self.decl.name_span,
            requirements=requirements,
            series=get("series"),
            parallel=get("parallel"),
            series_span=values["series"][1].span if "series" in values else None,
            parallel_span=values["parallel"][1].span if "parallel" in values else None,
            modules=values["modules"][0] if "modules" in values else None,
            module_series=module_series,
            strings=get("strings"),
            layout=get("layout"),
            gap=get("gap"),
            layers=get("layers"),
            cooling=cooling,
            busbar=busbar,
            enclosure=enclosure,
            barrier=get("barrier"),
            fuse=get("fuse"),
            optimise=get("optimise"),
            ambient=get("ambient"),
            soc_low=soc.low if soc else 0.0,
            soc_high=soc.high if soc else 1.0,
            soc_floor=get("soc_floor"),
            sizing=get("sizing"),
            discharge_rate=get("discharge_rate"),
            depth_of_discharge=get("dod"),
            property_spans={name: prop.span for name, (_, prop) in values.items()},
        )
