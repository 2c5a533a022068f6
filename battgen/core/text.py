"""User text made safe to show, and characters named so a user can find and fix them.

Source text, strings and file names reach the terminal in diagnostics. Raw, a crafted file
could retitle or clear the terminal (ESC sequences), ring its bell or hide text (bidirectional
overrides: the "Trojan Source" trick); an invisible or look-alike character that breaks a line
(a no-break space, a Greek mu for the micro sign) cannot be seen to be fixed. So:

* ``printable`` shows every control character, every invisible format or spacing character
  and every line or bidirectional control as an escape (``\\x1b``, ``\\u00a0``, ``\\u202e``);
* ``display_columns`` gives how many terminal columns each character of a line takes once
  shown (escapes are several, East Asian wide characters two, combining marks none), so a
  caret lands under the character a column points at;
* ``plural`` and ``counted`` put words to counts for every report a person reads;
* ``describe`` names a character the lexer refused — ``U+00A0 no-break space`` — with what to
  write instead: a space, ``u`` or ``µ`` for a Greek mu, ``-`` for a minus sign, ``"`` for a
  curly quote (characters and names from the Unicode Character Database, via ``unicodedata``).
"""

from __future__ import annotations

import unicodedata

# Characters a .batt file may hold by mistake and what to write instead (hint text).
_CONFUSABLES: dict[str, tuple[str, str]] = {
    "\u00a0": ("no-break space", "replace with a space"),
    "\u2002": ("en space", "replace with a space"),
    "\u2003": ("em space", "replace with a space"),
    "\u2007": ("figure space", "replace with a space"),
    "\u2009": ("thin space", "replace with a space"),
    "\u200a": ("hair space", "replace with a space"),
    "\u202f": ("narrow no-break space", "replace with a space"),
    "\u3000": ("ideographic space", "replace with a space"),
    "\u200b": ("zero-width space", "remove it (it is invisible)"),
    "\u200c": ("zero-width non-joiner", "remove it (it is invisible)"),
    "\u200d": ("zero-width joiner", "remove it (it is invisible)"),
    "\u2060": ("word joiner", "remove it (it is invisible)"),
    "\u00ad": ("soft hyphen", "remove it (it is invisible)"),
    "\ufeff": (
        "byte-order mark (zero-width no-break space)",
        "remove it: a byte-order mark belongs only at the very start of a file",
    ),
    "\u03bc": ("Greek mu", "write `u` or `µ` (the micro sign) for micro, e.g. `23 uOhm`"),
    "\u2126": ("Ohm sign", "write `Ohm` or `Ω` (Greek capital omega)"),
    "\u2103": ("degree Celsius sign", "write `degC` or `°C`"),
    "\u00ba": ("masculine ordinal indicator", "write `°` (the degree sign) or `degC`"),
    "\u2212": ("minus sign", "write `-`"),
    "\u2010": ("hyphen", "write `-`"),
    "\u2011": ("non-breaking hyphen", "write `-`"),
    "\u2013": ("en dash", "write `-`, or `..` for a range"),
    "\u2014": ("em dash", "write `-`"),
    "\u201c": ("left double quotation mark", 'write `"`'),
    "\u201d": ("right double quotation mark", 'write `"`'),
    "\u201e": ("double low-9 quotation mark", 'write `"`'),
    "\u2018": ("left single quotation mark", 'strings use double quotes: "..."'),
    "\u2019": ("right single quotation mark", 'strings use double quotes: "..."'),
    "\u00d7": ("multiplication sign", "write `*`"),
    "\u00f7": ("division sign", "write `/`"),
    "\u2215": ("division slash", "write `/`"),
    "\u2264": ("less-than or equal to", "write `<=`"),
    "\u2265": ("greater-than or equal to", "write `>=`"),
    "\u2026": ("horizontal ellipsis", "write `..` for a range"),
    "\u00b2": ("superscript two", "write `^2`, e.g. `m^2`"),
    "\u00b3": ("superscript three", "write `^3`, e.g. `m^3`"),
}

_CONTROL_NAMES = {
    "\x00": "NUL",
    "\x07": "bell",
    "\x08": "backspace",
    "\x0b": "vertical tab",
    "\x0c": "form feed",
    "\r": "carriage return",
    "\x1b": "escape",
    "\x7f": "delete",
}

# Categories shown as escapes: controls, formats (zero-width, bidirectional), line and
# paragraph separators, private use, surrogates, unassigned.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _hidden(char: str) -> bool:
    if char == "\t" or char == " ":
        return False
    category = unicodedata.category(char)
    return category in _HIDDEN or (category == "Zs")  # a space that is not U+0020 looks like one


def printable(text: str) -> str:
    """``text`` with every control, invisible or bidirectional character shown as an escape
    (tabs are kept: the renderer expands them)."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escape(c) if _hidden(c) else c for c in text)


def display_columns(text: str) -> list[int]:
    """The terminal columns each character of ``text`` takes once ``printable``: an escape its
    length, an East Asian wide character 2, a combining mark 0, anything else 1."""
    out = []
    for char in text:
        if _hidden(char):
            out.append(len(_escape(char)))
        elif unicodedata.combining(char):
            out.append(0)
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            out.append(2)
        else:
            out.append(1)
    return out


def _unicode_name(char: str) -> str:
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "")
    if not name:
        return "control character" if unicodedata.category(char) == "Cc" else "character"
    return name.lower()


def describe(char: str) -> tuple[str, str]:
    """(what the character is, what to do) for one the lexer refused: ``("U+00A0 no-break
    space", "replace with a space")``; a visible character is also shown as itself."""
    code = f"U+{ord(char):04X}"
    if char in _CONFUSABLES:
        name, hint = _CONFUSABLES[char]
        shown = f"`{char}` ({code} {name})" if not _hidden(char) else f"{code} {name}"
        return shown, hint
    name = _unicode_name(char)
    if _hidden(char):
        if char == "\r":
            return f"{code} {name}", "save the file with LF (or CRLF) line endings"
        return f"{code} {name}", "remove it (it is invisible)"
    folded = unicodedata.normalize("NFKC", char)
    if folded != char and folded.isascii() and folded.isprintable():
        return f"`{char}` ({code} {name})", f"write `{folded}`"
    return f"`{char}` ({code} {name})", "remove it, or put it inside a string or comment"


def plural(count: int | float, word: str, many: str | None = None) -> str:
    """``word`` for exactly one, else its plural: ``many``, or ``word`` + "s"."""
    return word if count == 1 else (many or word + "s")


def counted(count: int, word: str, many: str | None = None) -> str:
    """'1 module', '8 modules', '4,704 cells'."""
    return f"{count:,} {plural(count, word, many)}"
