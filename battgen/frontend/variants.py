"""A study's variants as source: the pack's file with the study's values substituted.

A variant is a real design: the text of the file that declares the study's pack, with the
pack's property lines replaced (``layout = hex`` → ``layout = square``) or added, one argument
of its busbar or cold plate set (``busbar_thickness``: ``aluminium(thickness = 2 mm)`` →
``aluminium(thickness = 3 mm)``), the ``use`` lines its new names need added, and the file's
own ``study`` declarations taken out (a variant is a design, not a study). It compiles on its
own with the file's path as its root, so its relative imports resolve as the pack's do, and it
can be written out and checked like any file.

Its ``key`` is a hash of its source: the variant's text, the text of every file it imports
(transitively, the standard library's included) and the battgen version. The same design gets
the same key in every run, on every machine: a study resumes from the results already keyed.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from dataclasses import dataclass
from pathlib import Path

from battgen.core import ir
from battgen.core import schema as sc
from battgen.core import units as u
from battgen.core.diagnostics import Diagnostic, Span
from battgen.frontend import ast
from battgen.frontend.lower import Lowered
from battgen.frontend.parser import parse_property
from battgen.frontend.resolve import Definition
from battgen.frontend.workspace import PRELUDE, STDLIB, ImportTarget, project_root, resolve_use

Settings = tuple[tuple[str, str], ...]  # (variable, value as source text), in the study's order


@dataclass(frozen=True)
class Variant:
    key: str  # hash of the variant's source (16 hex digits)
    text: str  # the pack's file, substituted
    settings: Settings


def _offsets(text: str) -> list[int]:
    """Offset of the start of each line (index 0 is line 1)."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace ``text[start:end]`` by each edit's text; edits may not overlap."""
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + new + text[end:]
    return text


def format_value(variable: ir.Variable, value: float) -> str:
    """A range variable's value as source text in the unit its range was written in, rounded to
    four significant figures: the text is the design (its value is what the variant builds)."""
    if variable.whole:
        return str(round(value))
    shown = u.format_number((value - variable.offset) / variable.scale, 4)
    return f"{shown} {variable.unit}" if variable.unit else shown


def set_argument(value_text: str, constructor: str, argument: str, new: str) -> str | None:
    """``value_text`` (a call or a word, e.g. ``aluminium(thickness = 2 mm)``) with its argument
    ``argument`` set to ``new``; None when the value takes no such argument (``cooling = air``
    has no flow)."""
    prop = parse_property(f"v = {value_text}")
    if prop is None:
        return None
    node = prop.value
    line = f"v = {value_text}"
    starts = _offsets(line + "\n")

    def at(span: Span, end: bool = False) -> int:
        return starts[(span.end_line if end else span.line) - 1] + (span.end_column if end else span.column) - 1

    params = sc.CONSTRUCTORS.get(constructor, sc.CONDUCTOR_PARAMS) if constructor else sc.CONDUCTOR_PARAMS
    names = [p.name for p in params]
    if isinstance(node, ast.Ref):
        if node.name in sc.COOLING_WORDS or (constructor and node.name != constructor):
            return None
        return f"{node.name}({argument} = {new})"
    if not isinstance(node, ast.Call) or (constructor and node.name != constructor):
        return None
    for index, arg in enumerate(node.args):
        name = arg.name if arg.name is not None else (names[index] if index < len(names) else None)
        if name == argument:
            value: ast.Node = arg.value
            edited = _apply(line, [(at(value.span), at(value.span, end=True), new)])
            return edited[len("v = ") :]
    close = at(node.span, end=True) - 1  # the `)`
    joiner = ", " if node.args else ""
    edited = _apply(line, [(close, close, f"{joiner}{argument} = {new}")])
    return edited[len("v = ") :]


class VariantMaker:
    """Writes the variants of ``study`` from a lowered project that declares it."""

    def __init__(self, lowered: Lowered, study: ir.Study, version: str) -> None:
        self.lowered = lowered
        self.study = study
        self.version = version
        self.pack = _definition(lowered, study.pack)
        self.file = self.pack.file  # the pack's file, as displayed
        self.path = Path(self.file).resolve()
        self.source = lowered.sources[self.file]
        self.module = lowered.modules[self.file]
        self.scope = lowered.scopes.get(self.file, {})
        self.diagnostics: list[Diagnostic] = []
        self._closures: dict[str, frozenset[str]] = {}
        self._use_closures: dict[str, frozenset[str]] = {}
        self._needs = {v.name: self._imports_needed(v) for v in study.variables}
        self._digests = {path: hashlib.sha256(text.encode()).hexdigest() for path, text in lowered.sources.items()}

    # --- the variants

    def grid(self) -> list[Variant]:
        """Every combination of the listed values, in the study's order (the last varies fastest)."""
        listed = [v for v in self.study.variables if not v.is_range]
        combos = itertools.product(*[[c.text for c in v.choices] for v in listed])
        return [self.variant(tuple(zip([v.name for v in listed], combo))) for combo in combos]

    def variant(self, settings: Settings) -> Variant:
        text = self.text(dict(settings))
        return Variant(self.key(text, dict(settings)), text, settings)

    def text(self, settings: dict[str, str]) -> str:
        """The pack's file with ``settings`` (variable → source text) substituted."""
        decl = self.pack.decl
        starts = _offsets(self.source)

        def offset(line: int, column: int) -> int:
            return starts[line - 1] + column - 1

        written = {p.name: p for p in decl.props if p.qualifier is None}
        values: dict[str, str] = {}
        for name, value in settings.items():
            spec = sc.PROPS["study"][name]
            if not spec.argument:
                values[name] = value
        for name, value in settings.items():
            spec = sc.PROPS["study"][name]
            if spec.argument:
                target, argument = spec.argument.split(".")
                base = values.get(target)
                if base is None:
                    base = _value_text(self.source, written[target]) if target in written else _default(target)
                constructor = "cold_plate" if target == "cooling" else ""
                edited = set_argument(base, constructor, argument, value)
                if edited is not None:
                    values[target] = edited
        edits: list[tuple[int, int, str]] = []
        indent = _indent(self.source, decl)
        closing = offset(decl.span.end_line, 1)
        for name, value in values.items():
            prop = written.get(name)
            if prop is not None:
                start, end = offset(prop.value.span.line, prop.value.span.column), _prop_end(prop, offset)
                if prop.op != "=":  # `modules in 4 .. 8` → `modules = 8`, keeping the alignment
                    after_name = offset(prop.name_span.end_line, prop.name_span.end_column)
                    gap = self.source[after_name:start]
                    edits.append((after_name, start, gap.replace(prop.op, "=", 1)))
                edits.append((start, end, value))
            else:
                edits.append((closing, closing, f"{indent}{name} = {value}\n"))
        for other in self.module.decls:  # the file's studies are not part of a design
            if other.kind == "study":
                end_line = other.span.end_line
                end = starts[end_line] if end_line < len(starts) else len(self.source)
                edits.append((offset(other.span.line, 1), end, ""))
        uses = sorted({line for name in settings for line in self._needs.get(name, {}).get(settings[name], ())})
        uses = [line for line in uses if line not in self.source.split("\n")]
        if uses:
            last = max((use.span.end_line for use in self.module.uses), default=0)
            at = starts[last] if last else 0
            edits.append((at, at, "".join(line + "\n" for line in uses)))
        return _apply(self.source, edits)

    def key(self, text: str, settings: dict[str, str]) -> str:
        """Hash of the variant's source: its text, every file it imports, the battgen version."""
        files = self._closure(self.file)
        for name, value in settings.items():
            for line in self._needs.get(name, {}).get(value, ()):
                files |= self._closure_of_use(line)
        digest = hashlib.sha256(f"battgen {self.version}\n".encode())
        digest.update(text.encode())
        for path in sorted(files - {self.file}):
            digest.update(f"\n{path}\n{self._digests.get(path, '')}".encode())
        return digest.hexdigest()[:16]

    # --- imports

    def _imports_needed(self, variable: ir.Variable) -> dict[str, tuple[str, ...]]:
        """For each choice of ``variable``, the ``use`` lines the pack's file needs for the names
        it refers to. A name the pack's file already sees as another declaration is E252."""
        out: dict[str, tuple[str, ...]] = {}
        for choice in variable.choices:
            lines = []
            for ref in self.lowered.references:
                if not _inside(ref.span, choice.span):
                    continue
                seen = self.scope.get(ref.name)
                if seen is not None and (seen.file, seen.name) == (ref.target.file, ref.target.name):
                    continue
                if seen is None and ref.target.file == self.study.span.file != self.file:
                    self.diagnostics.append(
                        Diagnostic(
                            "E252",
                            f"`{ref.name}` is declared in the study's file, which `{self.file}` cannot import "
                            "(the study's file imports it)",
                            ref.span,
                            f"move `{ref.name}` into a file of its own that both files import",
                        )
                    )
                    continue
                if seen is not None:
                    self.diagnostics.append(
                        Diagnostic(
                            "E252",
                            f"`{ref.name}` here is not the `{ref.name}` that `{self.file}` sees "
                            f"(declared in `{seen.file}`)",
                            ref.span,
                            f"rename one of them: a variant is `{self.file}` with this value written in",
                        )
                    )
                    continue
                lines.append(self._use_line(ref.target))
            out[choice.text] = tuple(sorted(set(lines)))
        return out

    def _use_line(self, target: Definition) -> str:
        path = Path(target.file).resolve()
        try:
            parts = path.relative_to(STDLIB.resolve()).with_suffix("").parts
            return "use " + ".".join((*parts, target.name))
        except ValueError:
            relative = Path(_relpath(path, self.path.parent))
            return f'use "{relative.as_posix()}"'

    def _closure(self, file: str) -> set[str]:
        """``file`` and every file it imports, transitively (display paths), with the prelude;
        once per file (the project does not change while its variants are written)."""
        if file not in self._closures:
            self._closures[file] = frozenset(self._walk(file))
        return set(self._closures[file])

    def _walk(self, file: str) -> set[str]:
        seen: set[str] = set()
        todo = [file]
        prelude = self._display(PRELUDE.resolve())
        if prelude is not None:
            todo.append(prelude)
        while todo:
            current = todo.pop()
            if current in seen or current not in self.lowered.modules:
                continue
            seen.add(current)
            root = project_root(Path(current).resolve())
            for use in self.lowered.modules[current].uses:
                target = resolve_use(use, Path(current).resolve(), root)
                if isinstance(target, ImportTarget):
                    shown = self._display(target.path.resolve())
                    if shown is not None:
                        todo.append(shown)
        return seen

    def _closure_of_use(self, line: str) -> set[str]:
        if line not in self._use_closures:
            self._use_closures[line] = frozenset(self._walk_use(line))
        return set(self._use_closures[line])

    def _walk_use(self, line: str) -> set[str]:
        prop_use = _parse_use(line)
        if prop_use is None:
            return set()
        target = resolve_use(prop_use, self.path, project_root(self.path))
        if not isinstance(target, ImportTarget):
            return set()
        shown = self._display(target.path.resolve())
        return self._closure(shown) if shown is not None else set()

    def _display(self, path: Path) -> str | None:
        for shown in self.lowered.sources:
            if Path(shown).resolve() == path:
                return shown
        return None


def _definition(lowered: Lowered, pack: ir.Pack) -> Definition:
    for definition in lowered.definitions.values():
        if definition.kind == "pack" and definition.name == pack.name and definition.span == pack.span:
            return definition
    raise KeyError(pack.name)


def _value_text(source: str, prop: ast.Property) -> str:
    from battgen.frontend.studies import span_text

    return span_text(source, prop.value.span)


def _default(name: str) -> str:
    default = sc.PROPS["pack"][name].default
    assert default is not None, name
    return default


def _indent(source: str, decl: ast.Decl) -> str:
    if decl.props:
        line = source.split("\n")[decl.props[0].span.line - 1]
        return line[: len(line) - len(line.lstrip())]
    return "    "


def _prop_end(prop: ast.Property, offset) -> int:
    """End of a property's text: its value, its range's high end, its ``for`` duration."""
    last = prop.duration or prop.high or prop.at or prop.value
    return offset(last.span.end_line, last.span.end_column)


def _inside(inner: Span, outer: Span) -> bool:
    return (
        inner.file == outer.file
        and (outer.line, outer.column) <= (inner.line, inner.column)
        and (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)
    )


def _relpath(path: Path, start: Path) -> str:
    return os.path.relpath(path, start)


def _parse_use(line: str) -> ast.Use | None:
    from battgen.frontend.parser import parse

    result = parse(line + "\n", "<use>")
    uses = result.module.uses
    return uses[0] if uses else None
