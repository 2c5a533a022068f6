"""The canonical formatter (``battc fmt``, and formatting in the editor).

Rules, so that diffs of designs stay small and reviews stay about engineering:

* four-space indentation; one property per line; ``{`` on the header line, ``}`` alone;
* single spaces around operators and after commas; numbers keep their spelling (``4.85``
  stays ``4.85``) and the unit follows after one space;
* within a run of properties (lines not separated by a blank line) the names are padded so
  that the operators line up, and end-of-line comments line up too;
* exactly one blank line between declarations; blank lines inside a block are kept, but
  several collapse into one; ``use`` lines keep their grouping;
* every comment survives: a comment on its own line stays above what follows it, an
  end-of-line comment stays on its line (a comment inside a multi-line value moves above
  the property);
* a value longer than the line limit breaks its outermost list or argument list, one item
  per line.

Formatting never changes meaning: ``parse(format(x))`` has the same tree as ``parse(x)``
(tested with hypothesis), and formatting is idempotent.
"""

from __future__ import annotations

from battgen.frontend import ast
from battgen.frontend.parser import BOM, ParseResult, parse

INDENT = "    "
LINE_LIMIT = 100
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def format_text(text: str, file: str = "<input>") -> tuple[str | None, ParseResult]:
    """Format source text. Returns (None, result) when the text has syntax errors."""
    result = parse(text, file)
    if not result.ok:
        return None, result
    formatted = format_module(result.module)
    if text.startswith(BOM):
        formatted = BOM + formatted  # the file's byte-order mark stays (the parser read it as a space)
    return formatted, result


def keeps_meaning(before: ParseResult, formatted: str, file: str = "<input>") -> bool:
    """Whether ``formatted`` parses cleanly to the same tree as ``before`` and keeps every
    comment (the guard ``battc fmt`` checks before it writes)."""
    after = parse(formatted, file)
    if not after.ok or len(after.module.items) != len(before.module.items):
        return False
    if not all(ast.same_as(a, b) for a, b in zip(after.module.items, before.module.items)):
        return False
    return sorted(c.text for c in after.module.comments) == sorted(c.text for c in before.module.comments)


def format_module(module: ast.Module) -> str:
    return _Printer(module).run()


# --- expressions --------------------------------------------------------------------------


def expr(node: ast.Node) -> str:
    if isinstance(node, ast.Quantity):
        return f"{node.text} {node.unit}"
    if isinstance(node, ast.Number):
        return node.text
    if isinstance(node, ast.String):
        return f'"{node.value}"'
    if isinstance(node, ast.Ref):
        return node.name
    if isinstance(node, ast.Call):
        return f"{node.name}({', '.join(_arg(a) for a in node.args)})"
    if isinstance(node, ast.ListExpr):
        return f"[{', '.join(expr(i) for i in node.items)}]"
    if isinstance(node, ast.Point):
        return f"({expr(node.x)}, {expr(node.y)})"
    if isinstance(node, ast.Neg):
        inner = expr(node.operand)
        return f"-({inner})" if isinstance(node.operand, ast.BinOp) else f"-{inner}"
    if isinstance(node, ast.BinOp):
        precedence = _PRECEDENCE[node.op]
        left, right = expr(node.left), expr(node.right)
        if isinstance(node.left, ast.BinOp) and _PRECEDENCE[node.left.op] < precedence:
            left = f"({left})"
        if isinstance(node.right, ast.BinOp) and _PRECEDENCE[node.right.op] <= precedence:
            right = f"({right})"
        return f"{left} {node.op} {right}"
    raise AssertionError(type(node))


def _arg(arg: ast.Arg) -> str:
    return f"{arg.name} = {expr(arg.value)}" if arg.name else expr(arg.value)


def _broken(node: ast.Node, indent: str) -> str:
    """``node`` with its outermost list or argument list broken one item per line."""
    inner = indent + INDENT
    if isinstance(node, ast.Call) and len(node.args) == 1 and node.args[0].name is None:
        if isinstance(node.args[0].value, ast.ListExpr) and node.args[0].value.items:
            return f"{node.name}({_broken(node.args[0].value, indent)})"
    if isinstance(node, ast.Call) and node.args:
        body = "".join(f"{inner}{_arg(a)},\n" for a in node.args)
        return f"{node.name}(\n{body}{indent})"
    if isinstance(node, ast.ListExpr) and node.items:
        body = "".join(f"{inner}{expr(i)},\n" for i in node.items)
        return f"[\n{body}{indent}]"
    return expr(node)


def _breakable(node: ast.Node) -> ast.Node | None:
    """The node to break when a line is too long: a call whose only argument is a list
    breaks the list (``polygon([...])``), otherwise the call or list itself."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and node.args[0].name is None:
        if isinstance(node.args[0].value, ast.ListExpr) and node.args[0].value.items:
            return node
    if isinstance(node, (ast.Call, ast.ListExpr)):
        return node
    return None


# --- statements ---------------------------------------------------------------------------


def property_parts(prop: ast.Property) -> tuple[str, str]:
    """(head, rest): ``keepout tunnel`` and ``= rect(...) at (...)``."""
    head = prop.name if prop.qualifier is None else f"{prop.name} {prop.qualifier}"
    if prop.op == "in":
        rest = f"in {expr(prop.value)} .. {expr(prop.high)}"
    else:
        rest = f"{prop.op} {expr(prop.value)}"
    if prop.at is not None:
        rest += f" at {expr(prop.at)}"
    if prop.duration is not None:
        rest += f" for {expr(prop.duration)}"
    return head, rest


class _Printer:
    def __init__(self, module: ast.Module):
        self.module = module
        self.out: list[str] = []
        self.line_comments = {c.line: c for c in module.comments if not c.trailing}
        self.trailing = {c.line: c for c in module.comments if c.trailing}
        self.used: set[int] = set()
        self.blank = module.blank_lines

    def run(self) -> str:
        items = self.module.items
        previous_end = 0
        previous = None
        for item in items:
            first_line = item.span.line
            comments = self._standalone_between(previous_end, first_line)
            if previous is not None:
                if (
                    isinstance(previous, ast.Decl)
                    or isinstance(item, ast.Decl)
                    or self._had_blank(previous_end, comments[0].line if comments else first_line)
                ):
                    self.out.append("")
            self._emit_comments(comments, "", previous_end)
            if isinstance(item, ast.Use):
                text = f"use {'.'.join(item.path)}" if item.path else f'use "{item.file}"'
                self.out.append(text + self._trailing_for(item.span.line, item.span.end_line, text))
            else:
                self._decl(item)
            previous_end = item.span.end_line
            previous = item
        rest = self._standalone_between(previous_end, 10**9)
        if rest:
            if self.out:
                self.out.append("")
            self._emit_comments(rest, "", previous_end)
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""

    def _had_blank(self, after: int, before: int) -> bool:
        return any(line in self.blank for line in range(after + 1, before))

    def _standalone_between(self, after: int, before: int) -> list[ast.Comment]:
        found = [c for line, c in self.line_comments.items() if after < line < before and line not in self.used]
        return sorted(found, key=lambda c: c.line)

    def _emit_comments(self, comments: list[ast.Comment], indent: str, after: int) -> None:
        last = after
        for comment in comments:
            if last and self._had_blank(last, comment.line) and self.out and self.out[-1] != "":
                self.out.append("")
            self.out.append(indent + comment.text)
            self.used.add(comment.line)
            last = comment.line

    def _trailing_for(self, first: int, last: int, code: str, pad_to: int = 0) -> str:
        texts = []
        for line in range(first, last + 1):
            comment = self.trailing.get(line)
            if comment is not None and line not in self.used:
                texts.append(comment.text)
                self.used.add(line)
        if not texts:
            return ""
        padding = " " * max(pad_to - len(code), 0)
        return padding + "  " + " ".join(texts)

    def _has_trailing(self, prop: ast.Property) -> bool:
        return any(line in self.trailing for line in range(prop.span.line, prop.span.end_line + 1))

    def _decl(self, decl: ast.Decl) -> None:
        header = f"{decl.kind} {decl.name} {{"
        self.out.append(header + self._trailing_for(decl.span.line, decl.span.line, header))
        runs: list[list[ast.Property]] = []
        previous_end = decl.span.line
        for prop in decl.props:
            breaks = (
                self._had_blank(previous_end, prop.span.line)
                or self._standalone_between(previous_end, prop.span.line)
                or self._standalone_between(prop.span.line, prop.span.end_line + 1)
            )
            if not runs or breaks:
                runs.append([])
            runs[-1].append(prop)
            previous_end = prop.span.end_line
        previous_end = decl.span.line
        for run_index, run in enumerate(runs):
            width = max((len(p.name) for p in run if p.qualifier is None), default=0)
            lines = []
            for prop in run:
                head, rest = property_parts(prop)
                if prop.qualifier is None:
                    head = head.ljust(width)
                code = f"{INDENT}{head} {rest}"
                if len(code) > LINE_LIMIT and (breakable := _breakable(prop.value)) is not None and prop.op == "=":
                    code = f"{INDENT}{head} = {_broken(breakable, INDENT)}"
                    if prop.at is not None:
                        code += f" at {expr(prop.at)}"
                lines.append((prop, code))
            commented = [c for p, c in lines if "\n" not in c and self._has_trailing(p)]
            comment_column = max((len(c) for c in commented), default=0)
            for index, (prop, code) in enumerate(lines):
                comments = self._standalone_between(previous_end, prop.span.line)
                if comments or (run_index and index == 0):
                    if self._had_blank(previous_end, comments[0].line if comments else prop.span.line):
                        self.out.append("")
                self._emit_comments(comments, INDENT, previous_end)
                inner = self._standalone_between(prop.span.line, prop.span.end_line + 1)
                self._emit_comments(inner, INDENT, 0)  # comments inside a multi-line value
                last_line = code.split("\n")[-1]
                pad = comment_column if "\n" not in code else 0
                suffix = self._trailing_for(prop.span.line, prop.span.end_line, last_line, pad)
                self.out.append(code + suffix)
                previous_end = prop.span.end_line
        end_line = decl.span.end_line
        closing = self._standalone_between(previous_end, end_line)
        if closing and self._had_blank(previous_end, closing[0].line):
            self.out.append("")
        self._emit_comments(closing, INDENT, previous_end)
        self.out.append("}" + self._trailing_for(end_line, end_line, "}"))
