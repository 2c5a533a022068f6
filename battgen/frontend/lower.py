"""Lowering: syntax trees of a project → the checked, SI-valued ``Design`` IR.

``lower_project(root_path | text, workspace) -> Lowered`` resolves ``use`` imports (with
cycle detection), builds each file's scope (its own declarations, what it imports, and the
material prelude), evaluates constant expressions with dimension checking, checks every
property against ``battgen.core.schema`` and builds the IR. It never raises on user input: every
problem is a diagnostic, and declarations that lowered cleanly are still returned, so the
editor keeps hover and completion while the file has errors.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Diagnostic, DiagnosticSink, Fix, Related, Severity, Span
from battgen.frontend import ast
from battgen.frontend.workspace import PRELUDE, ImportTarget, SourceFile, Workspace, _display, project_root, resolve_use

# --- values -------------------------------------------------------------------------------


class Q:
    """A quantity: SI value and dimension. ``unitless`` marks a plain number (or arithmetic
    on plain numbers only), so a forgotten unit can be told from a count."""

    __slots__ = ("value", "dim", "span", "unitless", "text")

    def __init__(self, value: float, dim: u.Dim, span: Span, unitless: bool, text: str = ""):
        self.value, self.dim, self.span, self.unitless, self.text = value, dim, span, unitless, text


class Word:
    __slots__ = ("name", "span")

    def __init__(self, name: str, span: Span):
        self.name, self.span = name, span


class Text:
    __slots__ = ("value", "span")

    def __init__(self, value: str, span: Span):
        self.value, self.span = value, span


class CallV:
    __slots__ = ("name", "name_span", "args", "span")

    def __init__(self, name: str, name_span: Span, args: list, span: Span):
        self.name, self.name_span, self.args, self.span = name, name_span, args, span


class ListV:
    __slots__ = ("items", "span")

    def __init__(self, items: list, span: Span):
        self.items, self.span = items, span


class PointV:
    __slots__ = ("x", "y", "span")

    def __init__(self, x, y, span: Span):
        self.x, self.y, self.span = x, y, span


class Invalid:
    """A value whose evaluation already produced a diagnostic; checks skip it silently."""

    __slots__ = ("span",)

    def __init__(self, span: Span):
        self.span = span


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    kind: str
    name: str
    file: str
    name_span: Span
    span: Span
    decl: ast.Decl


@dataclass(frozen=True)
class Reference:
    name: str
    span: Span
    target: Definition


@dataclass
class Lowered:
    root: str
    design: ir.Design
    diagnostics: list[Diagnostic]
    sources: dict[str, str]
    modules: dict[str, ast.Module]
    definitions: dict[tuple[str, str], Definition]
    references: list[Reference]
    scopes: dict[str, dict[str, Definition]] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


# --- the lowering -------------------------------------------------------------------------


class _Project:
    def __init__(self, workspace: Workspace, root_path: Path):
        self.workspace = workspace
        self.root_dir = project_root(root_path)
        self.sink = DiagnosticSink()
        self.files: dict[Path, SourceFile] = {}
        self.scopes: dict[Path, dict[str, Definition]] = {}
        self.loading: list[Path] = []
        self.references: list[Reference] = []
        self.lowered: dict[tuple[str, str], object] = {}
        self.in_progress: set[tuple[str, str]] = set()
        self.prelude: dict[str, Definition] = {}
        self.imports: list[tuple[ast.Use, Path, list[Definition]]] = []

    # files and scopes

    def load(self, path: Path, source: SourceFile | None = None, use: ast.Use | None = None) -> dict[str, Definition]:
        path = path.resolve()
        if path in self.scopes:
            return self.scopes[path]
        if source is None:
            loaded = self.workspace.load(path)
            if isinstance(loaded, Diagnostic):
                if use is not None:  # say it where the user wrote the import
                    loaded = Diagnostic("E210", f"cannot import: {loaded.message}", use.path_span, loaded.hint)
                self.sink.add(loaded)
                self.scopes[path] = {}
                return {}
            source = loaded
        self.files[path] = source
        self.sink.extend(source.parsed.diagnostics)
        self.loading.append(path)
        scope: dict[str, Definition] = {}
        module = source.parsed.module
        for item in module.items:
            if isinstance(item, ast.Use):
                self._import(item, path, scope)
        own: dict[str, Definition] = {}
        for decl in module.decls:
            if decl.kind not in sc.KINDS:
                close = difflib.get_close_matches(decl.kind, list(sc.KINDS), n=1)
                hint = f"did you mean `{close[0]}`?" if close else "declarations are cell, envelope, pack, material"
                fixes = (Fix(f"change to `{close[0]}`", decl.kind_span, close[0]),) if close else ()
                self.sink.error("E203", f"unknown declaration kind `{decl.kind}`", decl.kind_span, hint, fixes=fixes)
                continue
            definition = Definition(decl.kind, decl.name, source.path, decl.name_span, decl.span, decl)
            previous = own.get(decl.name) or scope.get(decl.name)
            if previous is not None:
                self.sink.error(
                    "E202",
                    f"`{decl.name}` is declared twice",
                    decl.name_span,
                    "rename one of them",
                    related=(Related(previous.name_span, f"`{decl.name}` first declared here"),),
                )
                continue
            own[decl.name] = definition
        scope.update(own)
        self.loading.pop()
        self.scopes[path] = scope
        return scope

    def _import(self, use: ast.Use, importer: Path, scope: dict[str, Definition]) -> None:
        target = resolve_use(use, importer, self.root_dir)
        if isinstance(target, Diagnostic):
            self.sink.add(target)
            return
        assert isinstance(target, ImportTarget)
        path = target.path.resolve()
        if path in self.loading:
            chain = " → ".join(p.name for p in self.loading[self.loading.index(path) :]) + f" → {path.name}"
            self.sink.error(
                "E208",
                f"import cycle: {chain}",
                use.path_span,
                "move the shared declarations into a file both can import",
            )
            return
        imported = self.load(path, use=use)
        if target.name is None:
            names = {n: d for n, d in imported.items() if d.file == self.files[path].path} if path in self.files else {}
        else:
            definition = imported.get(target.name)
            if definition is None:
                close = difflib.get_close_matches(target.name, list(imported), n=1)
                hint = f"did you mean `{close[0]}`?" if close else "it declares: " + ", ".join(sorted(imported))
                self.sink.error("E201", f"no `{target.name}` in `{'.'.join(use.path or ())}`", use.path_span, hint)
                return
            names = {target.name: definition}
        self.imports.append((use, importer, list(names.values())))
        for name, definition in names.items():
            previous = scope.get(name)
            if previous is not None and previous is not definition:
                self.sink.error(
                    "E202",
                    f"`{name}` is imported twice from different places",
                    use.path_span,
                    "import only one of them",
                    related=(Related(previous.name_span, "the other declaration"),),
                )
                continue
            scope[name] = definition

    def lookup(self, file_path: Path, name: str) -> Definition | None:
        scope = self.scopes.get(file_path, {})
        return scope.get(name) or self.prelude.get(name)

    def names_in_scope(self, file_path: Path, kind: str | None = None) -> list[str]:
        merged = {**self.prelude, **self.scopes.get(file_path, {})}
        return sorted(n for n, d in merged.items() if kind is None or d.kind == kind)

    def path_of(self, definition: Definition) -> Path:
        for path, source in self.files.items():
            if source.path == definition.file:
                return path
        raise KeyError(definition.file)


def lower_project(root: Path | str, workspace: Workspace | None = None, *, text: str | None = None) -> Lowered:
    """Lower a project from its root file. ``text`` overrides the file's content (editor
    buffers, or source given as a string with ``root`` a display name)."""
    workspace = workspace or Workspace()
    root_path = Path(root).resolve()
    project = _Project(workspace, root_path)
    if root_path != PRELUDE.resolve() and PRELUDE.exists():
        project.prelude = dict(project.load(PRELUDE))
    if text is not None:
        from battgen.frontend.parser import parse

        display = str(root) if not Path(root).is_absolute() else _display(root_path)
        source = SourceFile(display, text, parse(text, display))
        project.load(root_path, source)
    else:
        project.load(root_path)
    root_source = project.files.get(root_path)
    cells, materials, envelopes, packs = {}, {}, {}, {}
    if root_source is not None:
        for decl in root_source.parsed.module.decls:
            definition = project.scopes[root_path].get(decl.name)
            if definition is None or definition.decl is not decl:
                continue
            value = _lower_definition(project, definition)
            if value is None:
                continue
            {"cell": cells, "material": materials, "envelope": envelopes, "pack": packs}[decl.kind][decl.name] = value
    # imported declarations the root's packs use are part of the design too
    for key, value in sorted(project.lowered.items(), key=lambda kv: kv[0]):
        if isinstance(value, ir.Cell):
            cells.setdefault(value.name, value)
        elif isinstance(value, ir.Envelope):
            envelopes.setdefault(value.name, value)
        elif isinstance(value, ir.Material) and key[0] == (root_source.path if root_source else ""):
            materials.setdefault(value.name, value)
    _warn_unused_imports(project, root_path)
    root_display = root_source.path if root_source else str(root)
    design = ir.Design(root_display, cells, materials, envelopes, packs, _library_materials(project))
    definitions = {(d.file, d.name): d for scope in project.scopes.values() for d in scope.values()}
    diagnostics = _unique(project.sink.items)
    return Lowered(
        root=root_display,
        design=design,
        diagnostics=diagnostics,
        sources={s.path: s.text for s in project.files.values()},
        modules={s.path: s.parsed.module for s in project.files.values()},
        definitions=definitions,
        references=project.references,
        scopes={
            project.files[p].path: {**project.prelude, **s} for p, s in project.scopes.items() if p in project.files
        },
    )


def _warn_unused_imports(project: _Project, root_path: Path) -> None:
    used = {id(r.target) for r in project.references}
    root_file = project.files[root_path].path if root_path in project.files else None
    if any(d.is_error and d.span.file == root_file for d in project.sink.items):
        return  # with errors in the file, "unused" is usually a consequence of them
    for use, importer, definitions in project.imports:
        if importer != root_path or not definitions:
            continue
        if not any(id(d) in used for d in definitions):
            what = ".".join(use.path) if use.path else use.file
            project.sink.warning(
                "W201", f"`{what}` is imported but never used", use.span, "remove the line, or use what it imports"
            )


def _library_materials(project: _Project) -> dict[str, ir.Material]:
    """Every material of the prelude, lowered (the prelude itself when it is the root)."""
    scope = project.prelude or project.scopes.get(PRELUDE.resolve(), {})
    out = {}
    for name, definition in sorted(scope.items()):
        if definition.kind == "material":
            value = _lower_definition(project, definition)
            if isinstance(value, ir.Material):
                out[name] = value
    return out


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen, out = set(), []
    for d in diagnostics:
        key = (d.code, d.span, d.message)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _lower_definition(project: _Project, definition: Definition):
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


# --- one declaration ----------------------------------------------------------------------


def _suggest(word: str, options) -> str | None:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return close[0] if close else None


class _DeclLowering:
    def __init__(self, project: _Project, definition: Definition):
        self.project = project
        self.definition = definition
        self.decl = definition.decl
        self.kind = definition.kind
        self.file_path = project.path_of(definition)
        self.sink = project.sink
        self.failed = False

    def error(self, code, message, span, hint="", **kw):
        self.failed = True
        self.sink.error(code, message, span, hint, **kw)

    def warning(self, code, message, span, hint="", **kw):
        self.sink.warning(code, message, span, hint, **kw)

    # the declaration

    def run(self):
        specs = sc.PROPS[self.kind]
        seen: dict[tuple[str, str | None], ast.Property] = {}
        values: dict[str, object] = {}
        qualified: dict[str, list] = {}
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

    def property(self, spec: sc.Prop, prop: ast.Property):
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
            return None
        if prop.duration is not None and not spec.duration:
            self.error("E213", f"`{spec.name}` takes no `for` duration", prop.duration.span, "remove `for ...`")
            return None
        if spec.qualified and prop.qualifier is None:
            self.error(
                "E213",
                f"`{spec.name}` needs a name: `{spec.name} NAME = ...`",
                prop.name_span,
                f"e.g. `{spec.name} tunnel = rect(300 mm, 1380 mm) at (790 mm, 0 mm)`",
            )
            return None
        if not spec.qualified and prop.qualifier is not None:
            self.error(
                "E213", f"`{spec.name}` takes no name after it", prop.qualifier_span, f"write `{spec.name} = ...`"
            )
            return None
        if prop.at is not None and spec.kind != sc.SHAPE:
            self.error("E213", f"`{spec.name}` cannot be placed with `at`", prop.at.span, "remove `at (...)`")
            return None
        duration = None
        if prop.duration is not None:
            q = self.expect_quantity(self.evaluate(prop.duration), u.TIME, "the duration", positive=True)
            if q is None:
                return None
            duration = q
        if prop.op == "=":
            value = self.typed(spec, prop.value, prop)
            if value is None:
                return None
            if spec.kind == sc.QUANTITY or spec.kind == sc.COUNT or spec.kind == sc.NUMBER:
                # a fixed value is also a degenerate bound (`voltage = 350 V`, `modules = 4`)
                if spec.ops != sc.SET_ONLY:
                    return ir.Bound(value, value, prop.span, duration)
            return value
        low = high = None
        if prop.op == ">=":
            low = self.typed(spec, prop.value, prop)
            if low is None:
                return None
        elif prop.op == "<=":
            high = self.typed(spec, prop.value, prop)
            if high is None:
                return None
        else:
            low = self.typed(spec, prop.value, prop)
            high = self.typed(spec, prop.high, prop)
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

    def typed(self, spec: sc.Prop, node: ast.Node, prop: ast.Property):
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
        if kind == sc.RATE_TABLE:
            return self.rate_table(value)
        raise AssertionError(kind)

    # expressions

    def evaluate(self, node: ast.Node):
        if isinstance(node, ast.Quantity):
            return self.quantity(node, 1.0)
        if isinstance(node, ast.Number):
            return self.finite(Q(node.value, u.DIMENSIONLESS, node.span, True, node.text))
        if isinstance(node, ast.String):
            return Text(node.value, node.span)
        if isinstance(node, ast.Ref):
            return Word(node.name, node.span)
        if isinstance(node, ast.Neg):
            if isinstance(node.operand, ast.Quantity):  # `-20 degC`: negate before the offset
                value = self.quantity(node.operand, -1.0)
                if isinstance(value, Q):
                    value.span = node.span
                return value
            inner = self.evaluate(node.operand)
            if isinstance(inner, Invalid):
                return inner
            if not isinstance(inner, Q):
                self.error("E303", "only a number or quantity can be negated", node.span)
                return Invalid(node.span)
            return Q(-inner.value, inner.dim, node.span, inner.unitless)
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            args = []
            for arg in node.args:
                args.append((arg.name, arg.name_span, self.evaluate(arg.value)))
            return CallV(node.name, node.name_span, args, node.span)
        if isinstance(node, ast.ListExpr):
            return ListV([self.evaluate(item) for item in node.items], node.span)
        if isinstance(node, ast.Point):
            return PointV(self.evaluate(node.x), self.evaluate(node.y), node.span)
        raise AssertionError(type(node))

    def quantity(self, node: ast.Quantity, sign: float):
        try:
            unit = u.parse_unit(node.unit)
        except u.UnitError as error:
            suggestion = error.suggestion
            if suggestion and error.part == node.unit:
                hint = f"did you mean `{suggestion}`?"
                fixes = (Fix(f"change to `{suggestion}`", node.unit_span, suggestion),)
            elif suggestion:
                fixed = node.unit.replace(error.part, suggestion)
                hint = f"did you mean `{fixed}`?"
                fixes = (Fix(f"change to `{fixed}`", node.unit_span, fixed),)
            else:
                hint, fixes = "units are case-sensitive: e.g. kWh, mOhm, degC, L/min", ()
            self.error(
                "E301",
                f"unknown unit `{node.unit}`" + (f" — {hint}" if suggestion else ""),
                node.unit_span,
                "units are case-sensitive: e.g. kWh, mOhm, degC, L/min",
                fixes=fixes,
            )
            return Invalid(node.span)
        value = u.to_si(sign * node.value, unit)
        return self.finite(Q(value, unit.dim, node.span, False, f"{node.text} {node.unit}"))

    def finite(self, q: Q):
        if not math.isfinite(q.value):
            self.error("E403", "this number is not finite", q.span, "write a finite value")
            return Invalid(q.span)
        return q

    def binary(self, node: ast.BinOp):
        left, right = self.evaluate(node.left), self.evaluate(node.right)
        if isinstance(left, Invalid) or isinstance(right, Invalid):
            return Invalid(node.span)
        for side in (left, right):
            if not isinstance(side, Q):
                what = f"`{side.name}`" if isinstance(side, Word) else "this"
                self.error(
                    "E303",
                    f"{what} is not a number, so it cannot be used with `{node.op}`",
                    side.span,
                    "arithmetic works on numbers and quantities",
                )
                return Invalid(node.span)
        unitless = left.unitless and right.unitless
        if node.op in "+-":
            if left.dim != right.dim:
                self.error(
                    "E303",
                    f"cannot {'add' if node.op == '+' else 'subtract'} {u.describe_dim(right.dim)} "
                    f"{'to' if node.op == '+' else 'from'} {u.describe_dim(left.dim)}",
                    node.span,
                    "both sides need the same dimension",
                )
                return Invalid(node.span)
            value = left.value + right.value if node.op == "+" else left.value - right.value
            return self.finite(Q(value, left.dim, node.span, unitless))
        if node.op == "*":
            return self.finite(Q(left.value * right.value, u.dim_mul(left.dim, right.dim), node.span, unitless))
        if right.value == 0:
            self.error("E407", "division by zero", node.right.span, "divide by a non-zero value")
            return Invalid(node.span)
        return self.finite(Q(left.value / right.value, u.dim_div(left.dim, right.dim), node.span, unitless))

    # checks

    def expect_quantity(self, value, dim: u.Dim, what: str, spec: sc.Prop | None = None, positive=False):
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, Q):
            self.error(
                "E302",
                f"{what} needs {u.describe_dim(dim)}, got {_describe_value(value)}",
                value.span,
                f"e.g. `{_example_quantity(dim)}`",
            )
            return None
        if dim != u.DIMENSIONLESS and value.unitless:
            example = u.EXAMPLE_UNIT.get(dim, "")
            self.error(
                "E305",
                f"expected a unit after `{_number_text(value)}` (e.g. `{example}`)",
                value.span,
                f"{what} needs {u.describe_dim(dim)}: write `{_number_text(value)} {example}`",
                fixes=(Fix(f"add `{example}`", value.span, f"{_number_text(value)} {example}"),),
            )
            return None
        if value.dim != dim:
            self.error(
                "E302",
                f"{what} needs {u.describe_dim(dim)}, got {u.describe_dim(value.dim)} "
                f"(`{value.text or u.format_quantity(value.value, value.dim)}`)",
                value.span,
                f"e.g. `{_example_quantity(dim)}`",
            )
            return None
        if positive and value.value <= 0:
            self.error("E402", f"{what} must be positive", value.span, "give a value above zero")
            return None
        if spec is not None and not self.plausible(value, spec):
            return None
        return value.value

    def plausible(self, value: Q, spec: sc.Prop) -> bool:
        v = value.value
        if spec.dim == u.TEMPERATURE and v < 0:
            self.error("E406", f"`{spec.name}` is below absolute zero", value.span, "check the sign and unit")
            return False
        if spec.sane is None:
            return True
        low, high = spec.sane
        if v <= 0 and low > 0:
            self.error(
                "E402",
                f"`{spec.name}` must be positive, got `{value.text or v}`",
                value.span,
                "sizes, masses, capacities and resistances are above zero",
            )
            return False
        if spec.dim == u.DIMENSIONLESS and spec.kind == sc.QUANTITY and not (low <= v <= high):
            self.error(
                "E406",
                f"`{spec.name}` must lie between {low:.0%} and {high:.0%}",
                value.span,
                "write a percentage, e.g. `80 %`",
            )
            return False
        if v > high * 10 or (low > 0 and v < low / 10):
            shown = u.format_quantity(v, spec.dim) if spec.dim != u.DIMENSIONLESS else f"{v:g}"
            self.error(
                "E404",
                f"`{spec.name}` = {shown} is not a plausible {u.DIM_NAMES.get(spec.dim, 'value')}",
                value.span,
                "check the prefix and the unit (e.g. `mOhm` vs `Ohm`, `g` vs `kg`)",
            )
            return False
        if not (low <= v <= high):
            shown = u.format_quantity(v, spec.dim) if spec.dim != u.DIMENSIONLESS else f"{v:g}"
            self.warning(
                "W401",
                f"`{spec.name}` = {shown} is unusual for {u.describe_dim(spec.dim)} here",
                value.span,
                "check the value",
            )
        return True

    def expect_count(self, value, spec: sc.Prop, whole=True):
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, Q):
            self.error(
                "E302",
                f"`{spec.name}` needs a plain number, got {_describe_value(value)}",
                value.span,
                f"e.g. `{_example(spec)}`",
            )
            return None
        if not value.unitless:
            self.error(
                "E304",
                f"`{spec.name}` is a count; it takes no unit",
                value.span,
                f"write a plain number, e.g. `{spec.name} = 4`",
            )
            return None
        if whole and (value.value != int(value.value) or value.value < 1):
            self.error(
                "E405",
                f"`{spec.name}` must be a positive whole number, got `{value.value:g}`",
                value.span,
                "counts are whole numbers: 1, 2, 3, ...",
            )
            return None
        if spec.sane and not self.plausible(value, spec):
            return None
        return int(value.value) if whole else value.value

    def expect_option(self, value, options, what: str):
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, Word):
            self.error("E302", f"{what} needs one of: {', '.join(options)}", value.span, f"e.g. `{options[0]}`")
            return None
        if value.name not in options:
            close = _suggest(value.name, options)
            self.error(
                "E214",
                f"`{value.name}` is not an option of {what}",
                value.span,
                (f"did you mean `{close}`? " if close else "") + "options: " + ", ".join(options),
                fixes=(Fix(f"change to `{close}`", value.span, close),) if close else (),
            )
            return None
        return value.name

    def expect_ref(self, value, kind: str, prop_name: str):
        if isinstance(value, Invalid):
            return None
        if not isinstance(value, Word):
            self.error(
                "E302",
                f"`{prop_name}` needs the name of a {kind}",
                value.span,
                f"declare one with `{kind} NAME {{ ... }}` or import it with `use`",
            )
            return None
        definition = self.project.lookup(self.file_path, value.name)
        if definition is None:
            candidates = self.project.names_in_scope(self.file_path, kind)
            close = _suggest(value.name, candidates)
            hint = (
                f"did you mean `{close}`?"
                if close
                else (
                    "import it, e.g. `use cells.lg.m50t`"
                    if kind == "cell"
                    else f"declare `{kind} {value.name} {{ ... }}`"
                )
            )
            self.error(
                "E201",
                f"unknown {kind} `{value.name}`",
                value.span,
                hint,
                fixes=(Fix(f"change to `{close}`", value.span, close),) if close else (),
            )
            return None
        self.project.references.append(Reference(value.name, value.span, definition))
        if definition.kind != kind:
            self.error(
                "E211",
                f"`{value.name}` is a {definition.kind}, but `{prop_name}` needs a {kind}",
                value.span,
                f"name a {kind} here",
                related=(Related(definition.name_span, f"`{value.name}` declared here"),),
            )
            return None
        lowered = _lower_definition(self.project, definition)
        if lowered is None:
            self.failed = True  # the referenced declaration has its own diagnostics
        return lowered

    def bind(self, call: CallV, params: tuple[sc.Param, ...]) -> dict | None:
        """Bind positional and named arguments to ``params``; check dimensions."""
        bound: dict[str, object] = {}
        names = [p.name for p in params]
        ok = True
        for index, (name, name_span, value) in enumerate(call.args):
            if name is None:
                if index >= len(params):
                    self.error(
                        "E212",
                        f"`{call.name}` takes at most {len(params)} arguments",
                        value.span,
                        f"`{call.name}({', '.join(names)})`",
                    )
                    ok = False
                    continue
                name = params[index].name
            elif name not in names:
                close = _suggest(name, names)
                self.error(
                    "E212",
                    f"`{call.name}` has no argument `{name}`",
                    name_span,
                    (f"did you mean `{close}`? " if close else "") + f"it takes: {', '.join(names)}",
                    fixes=(Fix(f"change to `{close}`", name_span, close),) if close else (),
                )
                ok = False
                continue
            if name in bound:
                self.error("E212", f"`{name}` is given twice", name_span or value.span, "give it once")
                ok = False
                continue
            bound[name] = value
        for param in params:
            if param.name not in bound:
                if param.required and ok:  # after a misspelt argument, "missing" would repeat it
                    self.error(
                        "E212", f"`{call.name}` needs `{param.name}`", call.span, f"`{call.name}({', '.join(names)})`"
                    )
                    ok = False
                continue
            value = bound[param.name]
            if param.dim is not None:
                q = self.expect_quantity(value, param.dim, f"`{param.name}` of `{call.name}`")
                if q is None:
                    ok = False
                    continue
                if q <= 0 and param.dim == u.LENGTH and param.name != "radius":
                    self.error(
                        "E402", f"`{param.name}` of `{call.name}` must be positive", value.span, "sizes are above zero"
                    )
                    ok = False
                    continue
                bound[param.name] = q
            elif param.options:
                option = self.expect_option(value, param.options, f"`{param.name}` of `{call.name}`")
                if option is None:
                    ok = False
                bound[param.name] = option
        return bound if ok else None

    def unknown_constructor(self, value, allowed: dict | tuple, what: str):
        if isinstance(value, CallV):
            close = _suggest(value.name, allowed)
            self.error(
                "E212",
                f"`{value.name}` is not {what}",
                value.name_span,
                (f"did you mean `{close}`? " if close else "") + "use one of: " + ", ".join(allowed),
                fixes=(Fix(f"change to `{close}`", value.name_span, close),) if close else (),
            )
        else:
            self.error(
                "E302",
                f"expected {what}, got {_describe_value(value)}",
                value.span,
                "use one of: " + ", ".join(f"{name}(...)" for name in allowed),
            )
        return None

    # constructors

    def shape(self, value, at: ast.Node | None):
        if not isinstance(value, CallV) or value.name not in sc.SHAPES:
            return self.unknown_constructor(value, sc.SHAPES, "a shape")
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
            points = [self.point(item) for item in points_value.items]
            if any(p is None for p in points):
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

    def point(self, value) -> tuple[float, float] | None:
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

    def cell_format(self, value):
        if not isinstance(value, CallV) or value.name not in sc.FORMATS:
            return self.unknown_constructor(value, sc.FORMATS, "a cell format")
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

    def cooling(self, value):
        if isinstance(value, Word):
            if value.name in sc.COOLING_WORDS:
                return ir.Cooling(value.name)
            if value.name in sc.COOLINGS:
                return ir.Cooling(value.name)
            options = (*sc.COOLINGS, *sc.COOLING_WORDS)
            return self.expect_option(value, options, "`cooling`") and None
        if not isinstance(value, CallV) or value.name not in sc.COOLINGS:
            return self.unknown_constructor(value, sc.COOLINGS, "a cooling system")
        params = sc.COOLINGS[value.name]
        args = self.bind(value, params)
        if args is None:
            return None
        coolant = args.get("coolant")
        coolant_name, coolant_material = "glycol50", None
        if coolant is not None:
            material = self.expect_ref(coolant, "material", "coolant")
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

    def material_call(self, value, prop: str, what: str, example: str):
        """``name`` or ``name(arguments)`` naming a material: (the call, the material) or None."""
        if isinstance(value, Word):
            value = CallV(value.name, value.span, [], value.span)
        if not isinstance(value, CallV):
            self.error("E302", f"`{prop}` needs {what}, got {_describe_value(value)}", value.span, f"e.g. `{example}`")
            return None
        material = self.expect_ref(Word(value.name, value.name_span), "material", prop)
        return None if material is None else (value, material)

    def conductor(self, value):
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

    def enclosure(self, value):
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

    def rate_table(self, value):
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

    # builders

    def build_cell(self, values, qualified):
        get = lambda name, default=None: values[name][0] if name in values else default  # noqa: E731
        voltage: ir.Bound = get("voltage")
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
        discharge: ir.Bound = get("discharge")
        temperature: ir.Bound | None = get("temperature")
        charge: ir.Bound | None = get("charge")
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
        )

    def build_material(self, values, qualified):
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
            cost=get("cost"),
        )

    def build_envelope(self, values, qualified):
        get = lambda name, default=None: values[name][0] if name in values else default  # noqa: E731
        keepouts = tuple(ir.Keepout(name, shape, prop.span) for name, shape, prop in qualified.get("keepout", []))
        return ir.Envelope(self.decl.name, get("outline"), get("height"), keepouts, get("wall", 0.0), self.decl.span)

    def build_pack(self, values, qualified):
        get = lambda name, default=None: values[name][0] if name in values else default  # noqa: E731
        requirements = {}
        for name in (
            "voltage",
            "max_voltage",
            "min_voltage",
            "energy",
            "usable_energy",
            "power",
            "continuous_power",
            "current",
            "peak_current",
            "mass",
            "volume",
            "cost",
            "cycles",
            "module_voltage",
        ):
            if name in values:
                bound = values[name][0]
                requirements[name] = bound
        soc = get("soc")
        busbar = get("busbar")
        if busbar is None:
            aluminium = self.project.lookup(self.file_path, "aluminium")
            material = _lower_definition(self.project, aluminium) if aluminium else None
            busbar = ir.Busbar(material, 0.002) if material else None
        enclosure = get("enclosure")
        if enclosure is None:
            structure = self.project.lookup(self.file_path, "aluminium_6061")
            material = _lower_definition(self.project, structure) if structure else None
            enclosure = ir.Enclosure(material, 0.002) if material else None
        cooling = get("cooling", ir.Cooling("cold_plate"))
        cell = get("cell")
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
            modules=get("modules"),
            strings=get("strings", 1),
            layout=get("layout", "auto"),
            gap=get("gap", 0.001),
            layers=get("layers", 1),
            cooling=cooling,
            busbar=busbar,
            enclosure=enclosure,
            fuse=get("fuse", "none"),
            optimise=get("optimise", "mass"),
            ambient=get("ambient", 298.15),
            soc_low=soc.low if soc else 0.0,
            soc_high=soc.high if soc else 1.0,
            discharge_rate=get("discharge_rate", 0.33 / 3600),
            depth_of_discharge=get("dod", 0.8),
            property_spans={name: prop.span for name, (_, prop) in values.items()},
        )


# --- message helpers ----------------------------------------------------------------------


def _number_text(q: Q) -> str:
    return q.text or f"{q.value:g}"


def _shown(node: ast.Node) -> str:
    if isinstance(node, ast.Quantity):
        return f"`{node.text} {node.unit}`"
    if isinstance(node, ast.Number):
        return f"`{node.text}`"
    return "the low end"


def _describe_value(value) -> str:
    if isinstance(value, Q):
        return "a plain number" if value.unitless else u.describe_dim(value.dim)
    if isinstance(value, Word):
        return f"the name `{value.name}`"
    if isinstance(value, Text):
        return "a string"
    if isinstance(value, CallV):
        return f"`{value.name}(...)`"
    if isinstance(value, ListV):
        return "a list"
    if isinstance(value, PointV):
        return "a point"
    return "an invalid value"


def _example_quantity(dim: u.Dim) -> str:
    examples = {
        u.ENERGY: "75 kWh",
        u.VOLTAGE: "350 V",
        u.POWER: "250 kW",
        u.MASS: "500 kg",
        u.LENGTH: "140 mm",
        u.CHARGE: "4.85 Ah",
        u.CURRENT: "300 A",
        u.RESISTANCE: "23 mOhm",
        u.TIME: "10 s",
        u.TEMPERATURE: "25 degC",
        u.VOLUME: "300 L",
        u.MONEY: "12000 USD",
        u.FREQUENCY: "1 C",
        u.DENSITY: "2700 kg/m3",
        u.FLOW: "8 L/min",
    }
    return examples.get(dim, f"1 {u.EXAMPLE_UNIT.get(dim, '')}".strip())


def _example(spec: sc.Prop) -> str:
    op = spec.ops[0]
    if spec.kind == sc.QUANTITY:
        value = _example_quantity(spec.dim)
        if op == "in":
            return f"{spec.name} in {value} .. {value}"
        return f"{spec.name} {op} {value}"
    if spec.kind == sc.COUNT:
        return f"{spec.name} {op} 4" if op != "in" else f"{spec.name} in 4 .. 6"
    if spec.kind == sc.OPTION:
        return f"{spec.name} = {spec.options[0]}"
    if spec.kind == sc.STRING:
        return f'{spec.name} = "..."'
    if spec.kind == sc.REF:
        return f"{spec.name} = NAME"
    if spec.kind == sc.SHAPE:
        return f"{spec.name} = rect(1880 mm, 1380 mm)"
    if spec.kind == sc.FORMAT:
        return f"{spec.name} = cylindrical(diameter = 21.1 mm, height = 70.15 mm)"
    return f"{spec.name} = ..."


__all__ = ["Lowered", "lower_project", "Definition", "Reference", "Severity"]
