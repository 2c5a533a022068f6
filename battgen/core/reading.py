"""Reading input files: never blocking, never raising, always saying what is wrong and where.

A path a user gives — a CLI argument, a ``use`` line, a file in the editor's workspace — may
name a FIFO whose ``open`` waits for a writer that never comes, a device that never ends
(``/dev/zero``), a directory, a name too long for the file system, or bytes that are not text.
``read_source`` answers each with an E801 diagnostic that names the path and what it is, and
reads only regular files, in this order:

1. ``os.stat``: anything but a regular file is refused before it is opened;
2. ``os.open`` with ``O_NONBLOCK`` (an open that would block — a FIFO put in the file's place
   since the stat — returns at once) and ``fstat`` of the open descriptor: the file read is a
   file checked, whatever happened to the name in between;
3. at most ``MAX_FILE_BYTES`` + 1 bytes are read (a file that grows while it is read is still
   refused, never read without end);
4. the bytes are decoded as UTF-8; the first invalid byte is named with its line and column.
   NUL bytes mean a binary file.

Every ``OSError`` (permissions, ``File name too long``, a loop of symbolic links, an I/O
error) becomes a diagnostic with the path and the system's reason. ``file_problem`` is step 1
alone, for a door that checks its arguments before doing anything else.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from battgen.core.diagnostics import Diagnostic, Span
from battgen.core.limits import MAX_FILE_BYTES

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_CHUNK = 1 << 20


def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` is, in words ("a regular file", "a FIFO (named pipe)", …)."""
    if stat.S_ISREG(mode):
        return "a regular file"
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def shorten(text: str, limit: int = 120) -> str:
    """``text`` cut in the middle to at most ``limit`` characters (a path of 5,000 characters
    in a message is noise; its start and end say which it is)."""
    if len(text) <= limit:
        return text
    keep = (limit - 1) // 2
    return f"{text[:keep]}…{text[-keep:]}"


def reason(error: OSError) -> str:
    """The system's words for an ``OSError`` ("Permission denied", "File name too long")."""
    return error.strerror or type(error).__name__


def _at(shown: str, line: int = 1, column: int = 1) -> Span:
    return Span(shown, line, column, line, column)


def unreadable(shown: str, error: OSError) -> Diagnostic:
    return Diagnostic(
        "E801",
        f"cannot read `{shorten(shown)}`: {reason(error)}",
        _at(shown),
        hint="check the path and its permissions",
    )


def not_a_file(shown: str, mode: int) -> Diagnostic:
    return Diagnostic(
        "E801",
        f"`{shorten(shown)}` is {kind_of(mode)}, not a .batt file",
        _at(shown),
        hint="give the path of a .batt file" if stat.S_ISDIR(mode) else "battgen reads only regular files",
    )


def too_large(shown: str, size: int | None) -> Diagnostic:
    amount = f"{size:,} bytes" if size is not None else f"more than {MAX_FILE_BYTES:,} bytes"
    return Diagnostic(
        "E801",
        f"`{shorten(shown)}` is {amount}; a design file is at most {MAX_FILE_BYTES:,} (MAX_FILE_BYTES)",
        _at(shown),
        hint="split it into files joined with `use`",
    )


def file_problem(path: Path | str, shown: str) -> Diagnostic | None:
    """Why ``path`` cannot be read as a .batt file (it is missing, not a regular file, or its
    name is too long), from ``stat`` alone; None if it is a regular file."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return Diagnostic(
            "E801", f"`{shorten(shown)}` does not exist", _at(shown), hint="give the path of a .batt file"
        )
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the name
        return unreadable(shown, error if isinstance(error, OSError) else OSError(0, "the name holds a NUL byte"))
    if not stat.S_ISREG(mode):
        return not_a_file(shown, mode)
    return None


def read_bytes(path: Path | str, shown: str) -> bytes | Diagnostic:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES``, or why not (steps 1-3)."""
    problem = file_problem(path, shown)
    if problem is not None:
        return problem
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as error:
        return unreadable(shown, error)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):  # swapped for something else since the stat
            return not_a_file(shown, status.st_mode)
        if status.st_size > MAX_FILE_BYTES:
            return too_large(shown, status.st_size)
        chunks, total = [], 0
        while total <= MAX_FILE_BYTES:
            chunk = os.read(fd, min(_CHUNK, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_FILE_BYTES:  # it grew while it was read
            return too_large(shown, None)
        return b"".join(chunks)
    except OSError as error:
        return unreadable(shown, error)
    finally:
        os.close(fd)


def decode(data: bytes, shown: str) -> str | Diagnostic:
    """UTF-8 text without NUL bytes, or E801 naming the first byte that is not."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        start = error.start
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        column = len(data[line_start:start].decode("utf-8", "replace")) + 1
        return Diagnostic(
            "E801",
            f"`{shorten(shown)}` is not UTF-8 text: byte 0x{data[start]:02x} at line {line}, column {column}",
            _at(shown, line, column),
            hint="save the file as UTF-8",
        )
    if "\x00" in text:
        return Diagnostic(
            "E801",
            f"`{shorten(shown)}` is a binary file, not .batt source",
            _at(shown),
            hint="check the file name",
        )
    return text


def read_source(path: Path | str, shown: str) -> str | Diagnostic:
    """The text of a .batt file, or the E801 that says why it cannot be read."""
    data = read_bytes(path, shown)
    if isinstance(data, Diagnostic):
        return data
    return decode(data, shown)
