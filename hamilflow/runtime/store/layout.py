"""Where an artifact lives: refs, their percent-encoded components, and names that fit a file system.

A ref is ``<dag_id>/<run_id>/<node>/<map_index>.pkl`` with every component percent-encoded
outside ``[A-Za-z0-9._-]``; a component longer than a file name may be is stored as a readable
prefix, ``~`` and its SHA-256, which never collides with an encoded name (those have no ``~``).
"""

from __future__ import annotations

import hashlib
import re

from hamilflow.errors import SettingError

_SAFE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_REF_PART = re.compile(r"[A-Za-z0-9._%-]+")
_MAX_COMPONENT = 255  # bytes in a file name on common filesystems; encoded names are ASCII
_SHORT_PREFIX = 100  # readable characters kept of a component that is too long


def _quote(component: object, what: str) -> str:
    """Percent-encode everything outside ``[A-Za-z0-9._-]``; refuse empty components."""
    text = str(component)
    if not text:
        raise SettingError(f"{what} must not be empty")
    quoted = "".join(c if c in _SAFE_CHARS else "".join(f"%{b:02X}" for b in c.encode()) for c in text)
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _check_ref(ref: str) -> list[str]:
    """Validate a ref (it may come from XCom, i.e. from outside) and return its parts."""
    if not isinstance(ref, str):
        raise SettingError(f"artifact ref must be a str, got {type(ref).__name__}")
    parts = ref.split("/")
    if any(p in (".", "..") or not _REF_PART.fullmatch(p) for p in parts):
        raise SettingError(f"invalid artifact ref {ref!r}: expected relative components of [A-Za-z0-9._%-]")
    return parts


def _fit(part: str) -> str:
    """The file name for one encoded component: itself if it fits, else a readable prefix + ``~`` + its hash.

    Injective: encoded components never contain ``~``, shortened ones always do, and two
    shortened ones differ in their SHA-256. A leaf keeps its ``.pkl``.

    >>> _fit("clean")
    'clean'
    >>> _fit("%3A" * 100)[:12], len(_fit("%3A" * 100))
    ('%3A%3A%3A%3A', 164)
    """
    if len(part) <= _MAX_COMPONENT:
        return part
    suffix = ".pkl" if part.endswith(".pkl") else ""
    prefix = part[:_SHORT_PREFIX]
    cut = prefix.rfind("%", len(prefix) - 2)  # do not end inside a %XX escape
    return f"{prefix[:cut] if cut != -1 else prefix}~{hashlib.sha256(part.encode()).hexdigest()}{suffix}"
