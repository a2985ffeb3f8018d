"""Local files made durable: an exclusive unbuffered create, fsync by path, and Linux's ``syncfs``."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

_FSYNC_EACH_UP_TO = 8  # a sync() of at most this many writes fsyncs each; more take one syncfs


def _create_raw(tmp: str, directory: str) -> Any:
    """A new file, unbuffered (it takes one write), made again with its folder if the folder went away."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
    except FileNotFoundError:
        os.makedirs(directory, exist_ok=True)
        fd = os.open(tmp, flags, 0o666)
    return open(fd, "wb", buffering=0)  # noqa: SIM115 - the caller closes it


def _fsync_path(path: str, flags: int) -> None:
    """fsync a file or folder by path; a platform that cannot (folders on Windows) is skipped."""
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _load_syncfs() -> Any:
    """Linux's ``syncfs(fd)``: flush one file system (all its files and folders) in one call; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.syncfs
    except (OSError, AttributeError):
        return None

    def syncfs(path: str) -> bool:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return False
        try:
            return call(fd) == 0
        finally:
            os.close(fd)

    return syncfs


_syncfs = _load_syncfs()
