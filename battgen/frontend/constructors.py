"""Constructors: the calls and lists that build IR parts.

Shapes (``rect``, ``rounded_rect``, ``circle``, ``polygon``, placed ``at`` a point), cell
formats (``cylindrical``, ``prismatic``, ``pouch``), cooling (a word, or ``cold_plate(...)``
with its coolant and fins), the busbar conductor and the enclosure (a material with a sheet
thickness), and a cell's rate-capacity table. Each checks its arguments' plausibility where
a wrong unit would otherwise pass.
"""

from __future__ import annotations

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.frontend import ast
from battgen.frontend.checks import Checking
from battgen.frontend.messages import _describe_value
from battgen.frontend.values import CallV, Invalid, ListV, PointV, Value, Word


class Constructing(Checking):
    """Values to IR parts (shapes, formats, cooling, conductor, enclosure, rate tables)."""

    def shape(self, value: Value, at: ast.Node | None) -> ir.Shape | None:
        if not isinstance(value, CallV) or value.name not in sc.SHAPES:
            self.unknown_constructor(value, sc.SHAPES, "a shape")
            return None
        args = self.bind(value, sc.SHAPES[value.name])
        if args is None:
            return None
        origin = (0.0, 0.0)
        if at is not None:
            point = self.point(self.evaluate(at))
            if point is None:
                return None
            origin = point
        if value.name == "polygon":
            points_value = args["points"]
            if not isinstance(points_value, ListV) or len(points_value.items) < 3:
                self.error(
                    "E302",
                    "`polygon` needs a list of at least three points",
                    points_value.span,
                    "e.g. `polygon([(0 mm, 0 mm), (100 mm, 0 mm), (0 mm, 100 mm)])`",
                )
                return None
            read = [self.point(item) for item in points_value.items]  # each one's mistake reported
            points = [p for p in read if p is not None]
            if len(points) != len(read):
                return None
            area = 0.5 * sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]))
            if abs(area) <= 0:
                self.error("E402", "this polygon has no area", points_value.span, "check the points")
                return None
            if area < 0:
                points = points[::-1]  # store counter-clockwise
            return ir.Shape("polygon", points=tuple(points), origin=origin)
        if value.name == "circle":
            return ir.Shape("circle", radius=args["diameter"] / 2, origin=origin)
        radius = args.get("radius", 0.0) or 0.0
        if radius < 0 or radius * 2 > min(args["width"], args["depth"]):
            self.error(
                "E406", "the corner radius must lie between 0 and half the smaller side", value.span, "reduce `radius`"
            )
            return None
        return ir.Shape(
            "rounded_rect" if radius > 0 else "rect",
            width=args["width"],
            depth=args["depth"],
            radius=radius,
            origin=origin,
        )

    def point(self, value: Value) -> tuple[float, float] | None:
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, PointV):
            self.error(
                "E302", f"expected a point `(x, y)`, got {_describe_value(value)}", value.span, "e.g. `(790 mm, 0 mm)`"
            )
            return None
        x = self.expect_quantity(value.x, u.LENGTH, "the x coordinate")
        y = self.expect_quantity(value.y, u.LENGTH, "the y coordinate")
        if x is None or y is None:
            return None
        return (x, y)

    def cell_format(self, value: Value) -> ir.CellFormat | None:
        if not isinstance(value, CallV) or value.name not in sc.FORMATS:
            self.unknown_constructor(value, sc.FORMATS, "a cell format")
            return None
        args = self.bind(value, sc.FORMATS[value.name])
        if args is None:
            return None
        for name, size in args.items():
            if size > 2.0:
                self.error(
                    "E404",
                    f"a cell {name} of {u.format_quantity(size, u.LENGTH)} is not plausible",
                    value.span,
                    "check the unit: cell sizes are in mm",
                )
                return None
        return ir.CellFormat(value.name, **args)

    def cooling(self, value: Value) -> ir.Cooling | None:
        if isinstance(value, Word):
            if value.name in sc.COOLING_WORDS:
                return ir.Cooling(value.name)
            if value.name in sc.COOLINGS:
                return ir.Cooling(value.name, coolant="air" if value.name == "air" else "glycol50")
            options = (*sc.COOLINGS, *sc.COOLING_WORDS)
            self.expect_option(value, options, "`cooling`")  # not an option: reported
            return None
        if not isinstance(value, CallV) or value.name not in sc.COOLINGS:
            self.unknown_constructor(value, sc.COOLINGS, "a cooling system")
            return None
        params = sc.COOLINGS[value.name]
        args = self.bind(value, params)
        if args is None:
            return None
        coolant = args.get("coolant")
        coolant_name, coolant_material = ("air" if value.name == "air" else "glycol50"), None
        if coolant is not None:
            material = self.expect_material(coolant, "coolant")
            if material is None:
                return None
            if material.role != "coolant":
                self.error(
                    "E211",
                    f"`{material.name}` is a {material.role}, not a coolant",
                    coolant.span,
                    "name a material with `role = coolant`, e.g. `glycol50`",
                )
                return None
            coolant_name, coolant_material = material.name, material
        side, fins = args.get("side") or "bottom", args.get("fins")
        if fins is not None:
            span = next((v.span for name, _, v in value.args if name == "fins"), value.span)
            if side == "sides":
                self.error(
                    "E213",
                    "`fins` go with a plate under or over the cells; `side = sides` already puts a "
                    "cooled fin between every two cells",
                    span,
                    "use `side = bottom` with `fins`, or drop `fins`",
                )
                return None
            if not 0.0001 <= fins <= 0.005:
                self.error(
                    "E404",
                    f"cooling fins {u.format_quantity(fins, u.LENGTH)} thick are not plausible",
                    span,
                    "conduction fins between cells are typically 0.5-2 mm of aluminium",
                )
                return None
        return ir.Cooling(
            value.name,
            side=side,
            coolant=coolant_name,
            flow=args.get("flow"),
            inlet_temperature=args.get("inlet"),
            fins=fins,
            coolant_material=coolant_material,
        )

    def material_call(self, value: Value, prop: str, what: str, example: str) -> tuple[CallV, ir.Material] | None:
        """``name`` or ``name(arguments)`` naming a material: (the call, the material) or None."""
        if isinstance(value, Word):
            value = CallV(value.name, value.span, [], value.span)
        if not isinstance(value, CallV):
            self.error("E302", f"`{prop}` needs {what}, got {_describe_value(value)}", value.span, f"e.g. `{example}`")
            return None
        material = self.expect_material(Word(value.name, value.name_span), prop)
        return None if material is None else (value, material)

    def conductor(self, value: Value) -> ir.Busbar | None:
        found = self.material_call(value, "busbar", "a conductor material", "aluminium(thickness = 2 mm)")
        if found is None:
            return None
        value, material = found
        if material.role != "conductor" or material.resistivity is None:
            self.error(
                "E211",
                f"`{material.name}` is not a conductor (it has no resistivity)",
                value.name_span,
                "use `copper` or `aluminium`",
            )
            return None
        args = self.bind(value, sc.CONDUCTOR_PARAMS)
        if args is None:
            return None
        if args["thickness"] > 0.05:
            self.error(
                "E404",
                f"a busbar {u.format_quantity(args['thickness'], u.LENGTH)} thick is not plausible",
                value.span,
                "busbar thickness is a few mm",
            )
            return None
        return ir.Busbar(material, args["thickness"])

    def enclosure(self, value: Value) -> ir.Enclosure | None:
        found = self.material_call(value, "enclosure", "a structural material", "steel` or `steel(thickness = 1.5 mm)")
        if found is None:
            return None
        value, material = found
        if material.role == "coolant":
            self.error(
                "E211",
                f"`{material.name}` is a coolant, not a structural material",
                value.name_span,
                "use `aluminium_6061` or `steel`",
            )
            return None
        args = self.bind(value, sc.ENCLOSURE_PARAMS)
        if args is None:
            return None
        thickness = args.get("thickness")
        if thickness is None and material.modulus is None:
            self.error(
                "E205",
                f"`{material.name}` has no `modulus`, so the enclosure's equally stiff thickness is unknown",
                value.span,
                f"give the sheet thickness, e.g. `{material.name}(thickness = 2 mm)`, or a `modulus` to the material",
            )
            return None
        if thickness is not None and not 0.0002 <= thickness <= 0.05:
            self.error(
                "E404",
                f"an enclosure wall {u.format_quantity(thickness, u.LENGTH)} thick is not plausible",
                value.span,
                "enclosure sheet is typically 1-5 mm",
            )
            return None
        return ir.Enclosure(material, thickness)

    def ocv_table(self, value: Value) -> tuple[tuple[float, float], ...] | None:
        """``[(SOC, voltage), ...]``: at least two points, SOC in 0..100 %, each SOC once."""
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, ListV) or len(value.items) < 2:
            self.error(
                "E302",
                "`ocv` needs a list of at least two (state of charge, voltage) points",
                value.span,
                "e.g. `[(0 %, 3.0 V), (50 %, 3.65 V), (100 %, 4.2 V)]`",
            )
            return None
        points = []
        for item in value.items:
            if not isinstance(item, PointV):
                self.error(
                    "E302", "each entry is a point `(state of charge, voltage)`", item.span, "e.g. `(50 %, 3.65 V)`"
                )
                return None
            soc = self.expect_quantity(item.x, u.DIMENSIONLESS, "the state of charge")
            volts = self.expect_quantity(item.y, u.VOLTAGE, "the voltage", positive=True)
            if soc is None or volts is None:
                return None
            if not 0.0 <= soc <= 1.0:
                self.error("E406", "a state of charge lies in 0 % .. 100 %", item.x.span, "e.g. `(50 %, 3.65 V)`")
                return None
            points.append((soc, volts))
        points.sort()
        if len({soc for soc, _ in points}) < len(points):
            self.error("E202", "`ocv` gives one state of charge twice", value.span, "one voltage per state of charge")
            return None
        return tuple(points)

    def barrier(self, value: Value) -> ir.Barrier | None:
        found = self.material_call(value, "barrier", "an insulating material", "aerogel(thickness = 2 mm)")
        if found is None:
            return None
        value, material = found
        if material.role != "insulator" or material.conductivity is None:
            self.error(
                "E211",
                f"`{material.name}` is not a thermal insulator (a barrier needs `role = insulator` and a `conductivity`)",
                value.name_span,
                "use `aerogel`, `mica` or `ceramic_paper`",
            )
            return None
        args = self.bind(value, sc.BARRIER_PARAMS)
        if args is None:
            return None
        thickness = args["thickness"]
        if not 0.0001 <= thickness <= 0.05:
            self.error(
                "E404",
                f"a barrier {u.format_quantity(thickness, u.LENGTH)} thick is not plausible",
                value.span,
                "propagation barriers are typically 1-5 mm",
            )
            return None
        return ir.Barrier(material, thickness, args.get("between") or "modules")

    def rate_table(self, value: Value) -> tuple[ir.RatePoint, ...] | None:
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, ListV) or not value.items:
            self.error(
                "E302",
                "`rate_capacity` needs a list of (rate, capacity) points",
                value.span,
                "e.g. `[(0.2 C, 4.9 Ah), (1 C, 4.75 Ah)]`",
            )
            return None
        points = []
        for item in value.items:
            if not isinstance(item, PointV):
                self.error("E302", "each entry is a point `(rate, capacity)`", item.span, "e.g. `(1 C, 4.75 Ah)`")
                return None
            rate = self.expect_quantity(item.x, u.FREQUENCY, "the rate", positive=True)
            capacity = self.expect_quantity(item.y, u.CHARGE, "the capacity", positive=True)
            if rate is None or capacity is None:
                return None
            points.append(ir.RatePoint(rate, capacity))
        return tuple(sorted(points, key=lambda p: p.rate))
