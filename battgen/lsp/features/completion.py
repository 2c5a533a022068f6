"""Completion: declaration keywords and snippets at the top level, property names at the
start of a line in a block, units after a number, constructor arguments inside a call, and
values after an operator (options, declarations in scope, in the workspace and in the library,
with the ``use`` line that imports them).

What the cursor is after is read from the tokens of its line up to the cursor
(``battgen.frontend.tokens``, which lexes half-typed text), and the block it is in from the
braces of the lines before it: no parse, so completion works while the file is broken.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from lsprotocol import types as lsp

from battgen.core import schema as sc
from battgen.core import units as u
from battgen.frontend import ast
from battgen.frontend.tokens import CLOSERS, OPENERS, WORDS, Kind, Token, tokenize
from battgen.lsp.analysis import DocumentState, library, same_file
from battgen.lsp.features.common import md, root_module
from battgen.lsp.features.hover import constructor_doc, declaration_hover, param_doc, property_doc, short_path

DECL_KINDS = tuple(sc.KINDS)  # cell, envelope, pack, material, study
KEYWORDS = (*DECL_KINDS, "use")

# (kind, name, absolute path) of a declaration in one of the workspace's files
WorkspaceDecl = tuple[str, str, str]

# the operators a property's value follows
_OPERATORS = frozenset({Kind.EQUAL, Kind.AT_LEAST, Kind.AT_MOST, Kind.IN})
# what a dotted library path (`use cells.lg.m50t`) is made of, while it is typed
_PATH = WORDS | {Kind.DOT, Kind.RANGE}
# what may follow a unit's first part while a compound unit is typed (`L/`, `K^-`, `J/kg/`)
_UNIT_PARTS = frozenset({Kind.UNIT, Kind.NAME, Kind.NUMBER, Kind.SLASH, Kind.STAR, Kind.MINUS})


# --- where the cursor is: blocks, lines, calls --------------------------------------------


def enclosing_kind(lines: list[str], line: int) -> str | None:
    """The declaration kind whose block holds 0-based ``line``: the last header ``kind name {``
    at depth 0 whose braces are still open on the lines before it (a token scan, for broken
    files)."""
    kind = None
    depth = 0
    for i in range(min(line, len(lines))):
        text = lines[i]
        if "{" not in text and "}" not in text:
            continue  # no brace token, so neither a header nor a change of depth
        tokens = tokenize(text, i)
        header = _header(tokens)
        if header is not None and depth == 0:
            kind = header
        depth += sum(t.kind is Kind.LBRACE for t in tokens) - sum(t.kind is Kind.RBRACE for t in tokens)
        if depth <= 0:
            depth = 0
            kind = None
    return kind


def _header(tokens: list[Token]) -> str | None:
    """The kind of a declaration header (``kind name {``), None for any other line."""
    if len(tokens) >= 3 and tokens[0].kind in WORDS and tokens[1].kind in WORDS and tokens[2].kind is Kind.LBRACE:
        return tokens[0].text
    return None


def _first_word(tokens: list[Token]) -> str | None:
    """The line's first token when it is a word (a property's name)."""
    return tokens[0].text if tokens and tokens[0].kind in WORDS else None


def _block_lines(lines: list[str], line: int) -> list[str]:
    """The other lines of the block that holds ``line``: from its header (excluded) to its
    closing brace or the end of the text."""
    start = line
    while start > 0 and _header(tokenize(lines[start])) is None:
        start -= 1
    end = line
    while end + 1 < len(lines) and not _closes(lines[end]):
        end += 1
    return [lines[i] for i in range(start + 1, end + 1) if i != line]


def _closes(line: str) -> bool:
    tokens = tokenize(line)
    return bool(tokens) and tokens[0].kind is Kind.RBRACE


class _Call(NamedTuple):
    name: str
    args: list[Token]  # everything after the `(`
    last: list[Token]  # after the last comma at the call's own depth: the argument being typed


def _unclosed_call(tokens: list[Token]) -> _Call | None:
    """The call the cursor is inside: the innermost ``(`` not closed before the cursor, with a
    name before it; None outside calls, after a ``(`` without a name and inside a list."""
    depth = 0
    for i in range(len(tokens) - 1, -1, -1):
        kind = tokens[i].kind
        if kind in CLOSERS:
            depth += 1
        elif kind in OPENERS:
            if depth == 0:
                if kind is Kind.LSQB or i == 0 or tokens[i - 1].kind not in WORDS:
                    return None
                args = tokens[i + 1 :]
                return _Call(tokens[i - 1].text, args, _last_argument(args))
            depth -= 1
    return None


def _last_argument(args: list[Token]) -> list[Token]:
    depth, start = 0, 0
    for i, token in enumerate(args):
        if token.kind in OPENERS:
            depth += 1
        elif token.kind in CLOSERS:
            depth = max(depth - 1, 0)
        elif token.kind is Kind.COMMA and depth == 0:
            start = i + 1
    return args[start:]


def _wordlike(token: Token) -> bool:
    """A word, or a number without a point or a sign: the first characters of a name being
    typed, as far as the cursor can tell."""
    return token.kind in WORDS or (token.kind is Kind.NUMBER and token.text.isalnum())


def _typing_word(tokens: list[Token], cursor: int) -> bool:
    """Nothing but white space, or one word that ends at the cursor (being typed)."""
    return not tokens or (len(tokens) == 1 and _wordlike(tokens[0]) and tokens[0].end == cursor)


def _contiguous(tokens: list[Token]) -> bool:
    return all(a.end == b.column for a, b in zip(tokens, tokens[1:]))


def _setting(tokens: list[Token], cursor: int) -> str | None:
    """The name in ``name =`` followed by at most the word being typed (an argument's value)."""
    if len(tokens) >= 2 and tokens[0].kind in WORDS and tokens[1].kind is Kind.EQUAL:
        if _typing_word(tokens[2:], cursor):
            return tokens[0].text
    return None


def _in_comment_or_string(tokens: list[Token]) -> bool:
    """The cursor is in a comment, or in a string other than a ``use`` line's path."""
    if any(t.kind is Kind.COMMENT for t in tokens):
        return True
    if not tokens or tokens[-1].kind is not Kind.OPEN_STRING:
        return False
    quoted_use = (
        len(tokens) >= 2
        and tokens[0].kind is Kind.USE
        and tokens[1].kind in (Kind.STRING, Kind.OPEN_STRING)
        and tokens[1].column > tokens[0].end
    )
    return not quoted_use


def _typing_use_path(tokens: list[Token], cursor: int) -> bool:
    """``use`` and a dotted path being typed (possibly nothing yet)."""
    if not tokens or tokens[0].kind is not Kind.USE:
        return False
    path = tokens[1:]
    if not path:
        return cursor > tokens[0].end  # `use ` with the cursor after the space
    return (
        path[0].column > tokens[0].end
        and _contiguous(path)
        and path[-1].end == cursor
        and all(t.kind in _PATH or _wordlike(t) for t in path)
    )


def _typing_use_file(tokens: list[Token]) -> bool:
    """``use "`` and a file's path being typed."""
    return (
        len(tokens) == 2
        and tokens[0].kind is Kind.USE
        and tokens[1].kind is Kind.OPEN_STRING
        and tokens[1].column > tokens[0].end
    )


def _after_number(tokens: list[Token], prefix: str) -> bool:
    """The cursor is where a unit goes: after a number and a space, or in the unit being typed
    right after a number (``75 kW``, ``3 L/``, ``1 K^-``)."""
    numbers = [i for i, t in enumerate(tokens) if t.kind is Kind.NUMBER]
    if not numbers:
        return False
    tail = tokens[numbers[-1] + 1 :]
    if not tail:
        return prefix.endswith(" ")
    return (
        tail[0].kind is Kind.UNIT
        and _contiguous(tail)
        and tail[-1].end == len(prefix)
        and all(t.kind in _UNIT_PARTS or t.text == "^" for t in tail[1:])
    )


def _listed_property(tokens: list[Token], cursor: int) -> str | None:
    """The property whose list the cursor is in, at an item's start: ``name = [a, b, `` then at
    most the word being typed (a study's values)."""
    if len(tokens) < 3 or tokens[0].kind not in WORDS or tokens[1].kind is not Kind.EQUAL:
        return None
    if tokens[2].kind is not Kind.LSQB:
        return None
    depth, start = 0, 3
    for i, token in enumerate(tokens[3:], 3):
        if token.kind in OPENERS:
            depth += 1
        elif token.kind in CLOSERS:
            if depth == 0:
                return None  # the list is closed
            depth -= 1
        elif token.kind is Kind.COMMA and depth == 0:
            start = i + 1
    return tokens[0].text if depth == 0 and _typing_word(tokens[start:], cursor) else None


def _property_before_value(tokens: list[Token], cursor: int) -> str | None:
    """The property whose value the cursor is at: ``name op`` or ``name qualifier op`` (op one
    of ``= >= <= in``), then at most the word being typed."""
    if not tokens or tokens[0].kind not in WORDS:
        return None
    for op in (1, 2):  # right after the name, or after a qualifier
        if op == 2 and not (len(tokens) > 1 and tokens[1].kind in WORDS):
            break
        if len(tokens) > op and tokens[op].kind in _OPERATORS and _typing_word(tokens[op + 1 :], cursor):
            return tokens[0].text
    return None


# --- completion ---------------------------------------------------------------------------


def _item(
    label: str,
    kind: lsp.CompletionItemKind,
    detail: str | None = None,
    doc: str | None = None,
    sort: str | None = None,
    insert: str | None = None,
    snippet: bool = False,
    edits: list[lsp.TextEdit] | None = None,
) -> lsp.CompletionItem:
    return lsp.CompletionItem(
        label=label,
        kind=kind,
        detail=detail,
        documentation=md(doc) if doc else None,
        sort_text=sort,
        insert_text=insert,
        insert_text_format=lsp.InsertTextFormat.Snippet if snippet else None,
        additional_text_edits=edits,
    )


_DECL_SNIPPETS = {
    "cell": "cell ${1:name} {\n    format     = cylindrical(diameter = ${2:21.1} mm, height = ${3:70.15} mm)\n"
    "    chemistry  = ${4:nmc811}\n    nominal    = ${5:3.63} V\n    voltage    in ${6:2.5} V .. ${7:4.2} V\n"
    "    capacity   = ${8:4.85} Ah\n    mass       = ${9:70} g\n    resistance = ${10:25} mOhm\n"
    '    discharge  <= ${11:14.55} A\n    source     = "${12:datasheet}"\n}',
    "envelope": "envelope ${1:name} {\n    outline = rect(${2:1900} mm, ${3:1400} mm)\n    height  = ${4:140} mm\n}",
    "pack": "pack ${1:name} {\n    cell    = ${2:m50t}\n    voltage in ${3:330} V .. ${4:370} V\n"
    "    energy  >= ${5:75} kWh\n}",
    "material": "material ${1:name} {\n    role    = ${2:conductor}\n    density = ${3:2700} kg/m3\n"
    '    source  = "${4:handbook}"\n}',
    "study": "study ${1:name} {\n    pack       = ${2:pack}\n    cell       = [${3:m50t}, ${4:p45b}]\n"
    "    layout     = [hex, square]\n    objectives = [mass, cost, temperature]\n}",
}


def completions(
    state: DocumentState, text: str, position: lsp.Position, workspace_decls: Sequence[WorkspaceDecl] = ()
) -> list[lsp.CompletionItem]:
    """``workspace_decls``: (kind, name, absolute path) of declarations in the workspace's files."""
    lines = text.split("\n")
    if position.line >= len(lines):
        return []
    prefix = lines[position.line][: position.character]
    tokens = tokenize(prefix, position.line)
    cursor = len(prefix)
    if _in_comment_or_string(tokens):
        return []
    kind = enclosing_kind(lines, position.line)
    if kind is None:
        return _top_level_completions(state, tokens, cursor)
    props = sc.PROPS.get(kind, {})
    if _typing_word(tokens, cursor):  # a property name at the start of a line
        return _property_completions(kind, lines, position.line)
    call = _unclosed_call(tokens)
    if _after_number(tokens, prefix):
        return _unit_completions(_unit_dim(props, tokens, call))
    if call is not None:
        return _argument_completions(state, call, cursor, workspace_decls)
    name = _property_before_value(tokens, cursor)
    if name is None:  # inside a study's list: `cell = [m50t, |`
        listed = _listed_property(tokens, cursor)
        if listed in props and props[listed].listed:
            name = listed
    if name is not None:
        prop = props.get(name)
        if prop is None:
            return []
        return _value_completions(state, prop, workspace_decls)
    return []


def _top_level_completions(state: DocumentState, tokens: list[Token], cursor: int) -> list[lsp.CompletionItem]:
    """Outside blocks: library paths and files after ``use``, else the declaration keywords."""
    if _typing_use_path(tokens, cursor):
        return _use_completions(state)
    if _typing_use_file(tokens):
        return _file_completions(state)
    if _typing_word(tokens, cursor):
        return [
            _item(
                k,
                lsp.CompletionItemKind.Keyword,
                "declaration" if k != "use" else "import",
                insert=_DECL_SNIPPETS.get(k),
                snippet=k in _DECL_SNIPPETS,
            )
            for k in KEYWORDS
        ]
    return []


def _property_completions(kind: str, lines: list[str], line: int) -> list[lsp.CompletionItem]:
    """The properties of a ``kind`` block not set yet on its other lines (qualified ones, like
    ``keepout NAME``, may repeat), required ones first."""
    present = {_first_word(tokenize(text)) for text in _block_lines(lines, line)}
    out = []
    for i, p in enumerate(sc.KINDS.get(kind, ())):
        if p.name in present and not p.qualified:
            continue
        op = p.ops[0] if p.ops else "="
        out.append(
            _item(
                p.name,
                lsp.CompletionItemKind.Property,
                f"{kind} · {'required' if p.required else 'optional'}",
                property_doc(kind, p),
                sort=f"{0 if p.required else 1}{i:03d}",
                insert=f"{p.name} {op} ",
            )
        )
    return out


def _unit_dim(props: dict[str, sc.Prop], tokens: list[Token], call: _Call | None) -> u.Dim | None:
    """The dimension the unit being typed should have: the property's, or the argument's when
    the number is a call's argument (a shape's or a format's positional arguments are lengths);
    None when unknown."""
    dim = None
    prop_name = _first_word(tokens)
    if prop_name in props and props[prop_name].kind == sc.QUANTITY:
        dim = props[prop_name].dim
    if call is not None:
        last = call.last
        arg = last[0].text if len(last) >= 2 and last[0].kind in WORDS and last[1].kind is Kind.EQUAL else None
        params = sc.CONSTRUCTORS.get(call.name, sc.CONDUCTOR_PARAMS)
        for p in params:
            if arg and p.name == arg:
                dim = p.dim
        if arg is None and (call.name in sc.SHAPES or call.name in sc.FORMATS):
            dim = u.LENGTH
    return dim


def _argument_completions(
    state: DocumentState, call: _Call, cursor: int, workspace_decls: Sequence[WorkspaceDecl]
) -> list[lsp.CompletionItem]:
    """Inside a constructor's (or a conductor material's) call: an argument's options after
    ``name =``, else the names of the arguments not given yet."""
    params = sc.CONSTRUCTORS.get(call.name)
    if params is None and call.name in _names_of_kind(state, "material", workspace_decls):
        params = sc.CONDUCTOR_PARAMS
    if params is None:
        return []
    setting = _setting(call.last, cursor)
    if setting is not None:
        for p in params:
            if p.name == setting:
                if p.options:
                    return [_item(o, lsp.CompletionItemKind.EnumMember, f"{call.name}({p.name})") for o in p.options]
                if p.name == "coolant":
                    return _ref_items(state, "material", workspace_decls, role="coolant")
        return []
    if _typing_word(call.last, cursor):
        args = call.args
        used = {a.text for a, b in zip(args, args[1:]) if a.kind in WORDS and b.kind is Kind.EQUAL}
        return [
            _item(
                p.name,
                lsp.CompletionItemKind.Field,
                f"{call.name} argument",
                param_doc(p),
                insert=f"{p.name} = ",
                sort=f"{i:02d}",
            )
            for i, p in enumerate(params)
            if p.name not in used
        ]
    return []


def _unit_completions(dim: u.Dim | None) -> list[lsp.CompletionItem]:
    out = []
    for i, name in enumerate(u.COMMON_UNITS):
        try:
            unit = u.parse_unit(name)
        except u.UnitError:
            continue
        matches = dim is None or unit.dim == dim
        if dim is not None and not matches:
            continue
        what = u.DIM_NAMES.get(unit.dim, u.dim_symbol(unit.dim))
        out.append(_item(name, lsp.CompletionItemKind.Unit, what, sort=f"{0 if matches else 1}{i:03d}"))
    if not out:  # an unusual dimension: offer everything
        return _unit_completions(None)
    return out


def _value_completions(
    state: DocumentState, prop: sc.Prop, workspace_decls: Sequence[WorkspaceDecl]
) -> list[lsp.CompletionItem]:
    K = lsp.CompletionItemKind
    if prop.kind == sc.OPTION:
        return [_item(o, K.EnumMember, prop.name) for o in prop.options]
    if prop.kind == sc.REF:
        return _ref_items(state, prop.ref_kind, workspace_decls)
    if prop.kind == sc.SHAPE:
        return [
            _item(n, K.Function, constructor_doc(n, ps), insert=f"{n}(", sort=f"{i}")
            for i, (n, ps) in enumerate(sc.SHAPES.items())
        ]
    if prop.kind == sc.FORMAT:
        return [_item(n, K.Function, constructor_doc(n, ps), insert=f"{n}(") for n, ps in sc.FORMATS.items()]
    if prop.kind == sc.COOLING:
        return [_item(n, K.Function, constructor_doc(n, ps), insert=f"{n}(") for n, ps in sc.COOLINGS.items()] + [
            _item(w, K.EnumMember, "cooling") for w in sc.COOLING_WORDS
        ]
    if prop.kind == sc.CONDUCTOR:
        items = _ref_items(state, "material", workspace_decls, role="conductor")
        for item in items:
            item.insert_text = f"{item.label}(thickness = "
        return items
    if prop.kind == sc.ENCLOSURE:
        return _ref_items(state, "material", workspace_decls, role="structure")
    if prop.kind == sc.BARRIER:
        items = _ref_items(state, "material", workspace_decls, role="insulator")
        for item in items:
            item.insert_text = f"{item.label}(thickness = "
        return items
    return []


def _names_of_kind(state: DocumentState, kind: str, workspace_decls: Sequence[WorkspaceDecl]) -> set[str]:
    names = set()
    if state.analysis is not None:
        for n, d in state.analysis.lowered.scopes.get(state.analysis.lowered.root, {}).items():
            if d.kind == kind:
                names.add(n)
    names.update(d.name for d in library() if d.kind == kind)
    names.update(n for k, n, _ in workspace_decls if k == kind)
    return names


def _role(decl: ast.Decl) -> str | None:
    for prop in decl.props:
        if prop.name == "role" and isinstance(prop.value, ast.Ref):
            return prop.value.name
    return None


def _ref_items(
    state: DocumentState, kind: str, workspace_decls: Sequence[WorkspaceDecl], role: str | None = None
) -> list[lsp.CompletionItem]:
    """Declarations of ``kind`` in scope, in the workspace and in the library (the latter two
    add the ``use`` line that imports them)."""
    K = lsp.CompletionItemKind.Class if kind == "cell" else lsp.CompletionItemKind.Constant
    out, seen = [], set()
    scope = {}
    if state.analysis is not None:
        scope = state.analysis.lowered.scopes.get(state.analysis.lowered.root, {})
    for name, d in sorted(scope.items()):
        if d.kind != kind or (role and _role(d.decl) not in (role, None)):
            continue
        seen.add(name)
        out.append(
            _item(name, K, f"{kind} · {short_path(d.file)}", declaration_hover(state, d.decl, d.file), sort=f"0{name}")
        )
    insert_at = lsp.Range(lsp.Position(_use_insert_line(state), 0), lsp.Position(_use_insert_line(state), 0))
    for lib in library():
        if lib.kind != kind or lib.name in seen or (role and _role(lib.decl) not in (role, None)):
            continue
        seen.add(lib.name)
        edit = lsp.TextEdit(insert_at, f"use {lib.module}.{lib.name}\n")
        out.append(
            _item(
                lib.name,
                K,
                f"{kind} · use {lib.module}.{lib.name}",
                declaration_hover(state, lib.decl, lib.path),
                sort=f"1{lib.name}",
                edits=[edit],
            )
        )
    for k, name, path in workspace_decls:
        if k != kind or name in seen or same_file(path, state.path):
            continue
        seen.add(name)
        rel = os.path.relpath(path, os.path.dirname(state.path)).replace(os.sep, "/")
        rel = rel if rel.startswith(".") else "./" + rel
        edit = lsp.TextEdit(insert_at, f'use "{rel}"\n')
        out.append(_item(name, K, f"{kind} · {rel}", sort=f"2{name}", edits=[edit]))
    return out


def _use_insert_line(state: DocumentState) -> int:
    module = root_module(state)
    if module is not None and module.uses:
        return module.uses[-1].span.end_line
    if module is not None and module.items:
        return module.items[0].span.line - 1
    return 0


def _use_completions(state: DocumentState) -> list[lsp.CompletionItem]:
    from battgen.frontend.workspace import library_modules

    out = [_item(m, lsp.CompletionItemKind.Module, "standard library file") for m in library_modules()]
    for d in library():
        out.append(
            _item(
                f"{d.module}.{d.name}",
                lsp.CompletionItemKind.Reference,
                f"{d.kind} in {d.module}",
                declaration_hover(state, d.decl, d.path),
            )
        )
    return out


def _file_completions(state: DocumentState) -> list[lsp.CompletionItem]:
    folder = Path(state.path).parent
    out = []
    try:
        for p in sorted(folder.rglob("*.batt"))[:200]:
            if p == Path(state.path) or any(part.startswith(".") or part == "node_modules" for part in p.parts):
                continue
            rel = "./" + p.relative_to(folder).as_posix()
            out.append(_item(rel, lsp.CompletionItemKind.File, "file"))
    except OSError:
        pass
    return out
