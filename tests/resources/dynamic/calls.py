"""Count calls across processes: each call appends one line to a log file.

A single ``write`` of a short line to a file opened in append mode is atomic on POSIX,
so workers of any executor (threads, processes, Dask, Ray) can record calls concurrently.
"""

from __future__ import annotations

import os
from collections import Counter


def record(log_path: str, what: str) -> None:
    """Append ``what`` as one line to ``log_path``."""
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{what}\n".encode())
    finally:
        os.close(fd)


def lines(log_path: str) -> list[str]:
    """The recorded lines, in the order they were written."""
    if not os.path.exists(log_path):
        return []
    with open(log_path) as handle:
        return [line.strip() for line in handle if line.strip()]


def counts(log_path: str) -> Counter:
    """How many times each line was recorded."""
    return Counter(lines(log_path))
