"""Python source laid out as ``ruff format`` lays it out, so that a DAG file is formatted when written.

Code is built from four kinds of pieces: :class:`Code` (text that never breaks),
:class:`Text` (a string value), :class:`Bracket` (a call, list or dict: an opening, items, a
closing) and :class:`Labeled` (``key=value`` or ``"key": value``). :func:`lay_out` writes a
piece on one line when it fits in :data:`LINE_LENGTH`; otherwise a bracket opens with one
item per line and a trailing comma (``ruff format`` keeps that "magic trailing comma"), each
item laid out the same way. A string too long for its line moves into parentheses, on a
line of its own; when it is too long for that line too, it becomes parts of at most one
line each, split after a newline or a space (implicit concatenation, which ruff keeps).
Strings take double quotes unless single quotes need fewer escapes, as ruff chooses.

    >>> lay_out(Labeled("x = ", value({"a": [1, 2], "b": None})))
    ['x = {"a": [1, 2], "b": None}']
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from dataclasses import dataclass
from typing import Any

from hamilflow.errors import HamilflowError

LINE_LENGTH = 120
INDENT = 4


@dataclass(frozen=True)
class Code:
    """Source text written as it is."""

    text: str


@dataclass(frozen=True)
class Text:
    """A string value: one literal, or one literal per line when it does not fit."""

    value: str


@dataclass(frozen=True)
class Bracket:
    """``opening`` + items separated by commas + ``closing``: ``f(a, b)``, ``[a, b]``, ``{k: v}``."""

    opening: str
    items: tuple[Piece, ...]
    closing: str


@dataclass(frozen=True)
class Labeled:
    """``label`` followed by a value: a keyword argument, a dict entry, an assignment."""

    label: str
    value: Piece


Piece = Code | Text | Bracket | Labeled


def call(function: str, *args: Piece, **kwargs: Piece) -> Bracket:
    """``function(args..., name=value...)``."""
    return Bracket(f"{function}(", (*args, *(Labeled(f"{k}=", v) for k, v in kwargs.items())), ")")


def value(obj: Any) -> Piece:
    """The literal for a JSON-like value (None, booleans, numbers, strings, lists, tuples, dicts)."""
    if isinstance(obj, str):
        return Text(obj)
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return Code(f'float("{obj}")')
    if obj is None or isinstance(obj, (bool, int, float)):
        return Code(repr(obj))
    if isinstance(obj, list):
        return Bracket("[", tuple(value(v) for v in obj), "]")
    if isinstance(obj, tuple):
        if len(obj) == 1:
            return Code(f"({flat(value(obj[0]))},)")
        return Bracket("(", tuple(value(v) for v in obj), ")")
    if isinstance(obj, dict):
        return Bracket("{", tuple(Labeled(f"{flat(value(k))}: ", value(v)) for k, v in obj.items()), "}")
    raise HamilflowError(f"a DAG file cannot hold {type(obj).__name__} {obj!r} as a literal")


def string(text: str) -> str:
    """A string literal for ``text``, quoted the way ``ruff format`` quotes it."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    if text.isascii() and text.isprintable() and quote not in text and "\\" not in text:
        return quote + text + quote  # nothing to escape: the common case, without a call per character
    return quote + "".join(_escape(c, quote) for c in text) + quote


def _escape(char: str, quote: str) -> str:
    if char == quote:
        return "\\" + char
    if char in "'\"":
        return char
    return repr(char)[1:-1]


def width(line: str) -> int:
    """How many columns ``line`` takes (East Asian wide characters take two), as ruff counts them."""
    if line.isascii():
        return len(line)
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def flat(piece: Piece) -> str:
    """``piece`` on one line."""
    if isinstance(piece, Code):
        return piece.text
    if isinstance(piece, Text):
        return string(piece.value)
    if isinstance(piece, Labeled):
        return piece.label + flat(piece.value)
    return piece.opening + ", ".join(flat(item) for item in piece.items) + piece.closing


def lay_out(piece: Piece, indent: int = 0, before: str = "", after: str = "") -> list[str]:
    """The lines of ``piece`` at ``indent``, with ``before`` and ``after`` on its first and last lines."""
    pad = " " * indent
    line = pad + before + flat(piece) + after
    if width(line) <= LINE_LENGTH:
        return [line]
    if isinstance(piece, Code):
        if before.endswith(" = ") and not after:  # ruff moves what it cannot split into parentheses
            return [pad + before + "(", " " * (indent + INDENT) + piece.text, pad + ")"]
        return [line]
    if isinstance(piece, Labeled):
        return lay_out(piece.value, indent, before + piece.label, after)
    if isinstance(piece, Text):
        inner = " " * (indent + INDENT)
        joined = inner + string(piece.value)
        parts = [piece.value] if width(joined) <= LINE_LENGTH else text_parts(piece.value, indent + INDENT)
        if len(parts) < 2 and width(joined) > LINE_LENGTH:
            return [line]  # one word too long for any line: ruff leaves it so
        return [pad + before + "(", *(inner + string(part) for part in parts), pad + ")" + after]
    if not piece.items:
        return [line]
    if before.endswith(" = ") and not after and width(pad + before + piece.opening) > LINE_LENGTH:
        return [pad + before + "(", *lay_out(piece, indent + INDENT), pad + ")"]
    lines = [pad + before + piece.opening]
    for item in piece.items:
        lines += lay_out(item, indent + INDENT, "", ",")
    lines.append(pad + piece.closing + after)
    return lines


def text_parts(text: str, indent: int) -> list[str]:
    """``text`` cut into parts whose literals fit on a line at ``indent``: after newlines, then after spaces."""
    room = LINE_LENGTH - indent
    parts: list[str] = []
    for line in re.findall(r"[^\n]*\n*", text):
        if not line:
            continue
        if width(string(line)) <= room:
            parts.append(line)
            continue
        current = ""
        for word in re.findall(r"\S*\s*", line):
            if current and width(string(current + word)) > room:
                parts.append(current)
                current = ""
            current += word
        if current:
            parts.append(current)
    return parts


def comment(text: str, indent: int) -> list[str]:
    r"""``text`` as ``#`` comment lines at ``indent``, wrapped at spaces to fit the line length.

    A character that is not printable (a newline, a carriage return, NUL, a line separator)
    is written as its escape, so that no text can end the comment and start a line of code:

        >>> comment("Reads a\nimport os.", 0)
        ['# Reads a\\nimport os.']
    """
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    pad = " " * indent + "# "
    lines = textwrap.wrap(text, width=LINE_LENGTH - len(pad), break_long_words=False, break_on_hyphens=False)
    return [pad + line for line in lines] or [pad.rstrip()]


def docstring(text: str) -> list[str]:
    """A module docstring for ``text`` (ending in a newline); ``# noqa: E501`` when a line of it is too long."""
    body = text.replace("\\", "\\\\").replace('"""', '""\\"')
    if not body.replace("\n", "").isprintable():  # NUL, a tab, a carriage return, a lone surrogate: as escapes
        body = "".join(c if c == "\n" or c.isprintable() else repr(c)[1:-1] for c in body)
    lines = f'"""{body}\n"""'.split("\n")
    if any(width(line) > LINE_LENGTH for line in lines):
        lines[-1] += "  # noqa: E501"  # the author's own long lines (a link, a table): kept as written
    return lines


def operation(left: Piece, operator: str, right: str, indent: int) -> list[str]:
    """The statement ``left <operator> right``: ``left`` opens first; in parentheses when its end still overflows."""
    lines = lay_out(left, indent, "", f" {operator} {right}")
    if all(width(line) <= LINE_LENGTH for line in lines):
        return lines
    pad, inner = " " * indent, " " * (indent + INDENT)
    return [pad + "(", *lay_out(left, indent + INDENT), f"{inner}{operator} {right}", pad + ")"]
