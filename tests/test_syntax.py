"""The grammar, construct by construct, and the parser's error recovery."""

from battgen.frontend import ast
from battgen.frontend.parser import parse


def only_decl(text):
    result = parse(text, "t.batt")
    assert result.ok, result.diagnostics
    (decl,) = result.module.decls
    return decl


def prop(text):
    return only_decl("pack p {\n    " + text + "\n}\n").props[0]


def test_use_library_and_file():
    result = parse('use cells.lg.m50t\nuse "./my_cells.batt"\n', "t.batt")
    first, second = result.module.uses
    assert first.path == ("cells", "lg", "m50t") and first.file is None
    assert second.file == "./my_cells.batt" and second.path is None


def test_declaration_kind_name_and_spans():
    decl = only_decl("cell m50t {\n    nominal = 3.63 V\n}\n")
    assert (decl.kind, decl.name) == ("cell", "m50t")
    assert (decl.name_span.line, decl.name_span.column, decl.name_span.end_column) == (1, 6, 10)
    assert (decl.span.end_line, decl.span.end_column) == (3, 2)


def test_set_bound_range_and_duration():
    p = prop("energy >= 75 kWh")
    assert (p.op, p.value.value, p.value.unit) == (">=", 75.0, "kWh")
    p = prop("mass <= 500 kg")
    assert p.op == "<="
    p = prop("voltage in 330 V .. 370 V")
    assert (p.op, p.value.value, p.high.value) == ("in", 330.0, 370.0)
    p = prop("power >= 250 kW for 10 s")
    assert (p.duration.value, p.duration.unit) == (10.0, "s")
    p = prop("current in 10 A .. 20 A for 30 s")
    assert p.duration.value == 30.0


def test_qualified_property_with_placement():
    p = prop("keepout tunnel = rect(300 mm, 1380 mm) at (790 mm, 0 mm)")
    assert (p.name, p.qualifier) == ("keepout", "tunnel")
    assert isinstance(p.value, ast.Call) and isinstance(p.at, ast.Point)


def test_arithmetic_precedence_and_parentheses():
    p = prop("voltage = 96 * 3.63 V + 1 V")
    assert isinstance(p.value, ast.BinOp) and p.value.op == "+"
    assert p.value.left.op == "*"
    p = prop("voltage = 96 * (3.63 V + 1 V)")
    assert p.value.op == "*" and p.value.right.op == "+"
    p = prop("voltage = -(3 V)")
    assert isinstance(p.value, ast.Neg)


def test_values_strings_refs_lists_points_calls():
    assert prop('source = "LG, 2020"').value.value == "LG, 2020"
    assert prop("cell = m50t").value.name == "m50t"
    table = prop("rate_capacity = [(0.2 C, 4.9 Ah), (1 C, 4.75 Ah)]").value
    assert isinstance(table, ast.ListExpr) and isinstance(table.items[0], ast.Point)
    call = prop("cooling = cold_plate(side = bottom, flow = 8 L/min)").value
    assert [a.name for a in call.args] == ["side", "flow"]
    assert prop("x = f()").value.args == []
    assert prop("x = []").value.items == []


def test_compound_units_and_numbers():
    assert prop("cp = 1040 J/kg/K").value.unit == "J/kg/K"
    assert prop("rho = 17.24 nOhm*m").value.unit == "nOhm*m"
    assert prop("k = 0.00393 K^-1").value.unit == "K^-1"
    assert prop("soc = 80 %").value.unit == "%"
    assert prop("x = 1.5e-3 Ohm").value.value == 1.5e-3
    assert prop("x = .5 mm").value.value == 0.5


def test_lists_may_span_lines():
    text = "envelope e {\n    outline = polygon([\n        (0 mm, 0 mm),\n        (1 m, 0 mm),\n    ])\n}\n"
    p = only_decl(text).props[0]
    assert len(p.value.args[0].value.items) == 2


def test_comments_are_kept_for_the_formatter():
    result = parse("# top\ncell c {  # header\n    # inside\n    nominal = 3 V  # end\n}\n", "t.batt")
    texts = [(c.text, c.trailing) for c in result.module.comments]
    assert texts == [("# top", False), ("# header", True), ("# inside", False), ("# end", True)]


def test_several_mistakes_are_all_reported_and_the_rest_survives():
    text = (
        "use cells.lg.m50t\n"
        "pack a {\n    cell = m50t\n    energy >=\n    mass <= 500 kg ;\n    voltage in 330 V .. 370 V\n}\n"
        "envelope e {\n    height = 3 mm\n"
    )
    result = parse(text, "t.batt")
    codes = sorted((d.code, d.span.line) for d in result.diagnostics)
    assert codes == [("E101", 5), ("E102", 4), ("E103", 8)]
    pack, envelope = result.module.decls
    assert [p.name for p in pack.props] == ["cell", "voltage"]
    assert [p.name for p in envelope.props] == ["height"] and not envelope.complete


def test_half_typed_files_keep_what_parsed():
    text = "use cells.lg.m50t\n\npack sedan {\n    cell = m50t\n    energy >= 7"
    result = parse(text, "t.batt")
    assert result.module.uses[0].path == ("cells", "lg", "m50t")
    (pack,) = result.module.decls
    assert [p.name for p in pack.props] == ["cell", "energy"]
