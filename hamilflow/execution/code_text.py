"""A function's source as the plan's fingerprint hashes it: without its comments.

The fingerprint of a plan (and so a compiled DAG file) follows the code of every function
it runs, so that a worker never runs code that the DAG file was not compiled from. A
comment changes no behaviour: editing one must not make a DAG file stale, nor make
workers refuse it. Comments are found by Python's tokenizer (a ``#`` inside a string is
not one), and only in functions whose text has a ``#`` at all, so most functions are
hashed as they are, at no cost.

    >>> without_comments(b"def f(x):  # the input\\n    # doubled\\n    return 2 * x  # '#' is kept in strings\\n")
    b'def f(x):\\n    return 2 * x\\n'
"""

from __future__ import annotations

import io
import tokenize

__all__ = ["without_comments"]


def without_comments(text: bytes) -> bytes:
    """``text`` (a function's lines) without comments; a line that held only a comment goes entirely.

    Text the tokenizer cannot read (a fragment that is not whole Python) is returned as it is.
    """
    if b"#" not in text:
        return text
    try:
        comments = [
            token.start for token in tokenize.tokenize(io.BytesIO(text).readline) if token.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        return text
    if not comments:
        return text
    lines = text.splitlines(keepends=True)
    dropped = set()
    for row, column in comments:
        line = lines[row - 1]
        kept = _cut(line, column)
        if not kept.strip():
            dropped.add(row - 1)
        else:
            ending = b"\r\n" if line.endswith(b"\r\n") else b"\n" if line.endswith(b"\n") else b""
            lines[row - 1] = kept.rstrip() + ending
    return b"".join(line for i, line in enumerate(lines) if i not in dropped)


def _cut(line: bytes, column: int) -> bytes:
    """The first ``column`` characters of ``line`` (the tokenizer counts characters, not bytes)."""
    return line.decode("utf-8", "surrogateescape")[:column].encode("utf-8", "surrogateescape")
