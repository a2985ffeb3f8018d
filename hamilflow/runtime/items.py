"""How an expander's items are laid out in the artifact store: in segments of 64, not a file each.

A thousand small items written one file each cost a thousand file creations, renames and
folder entries (about 150 µs apiece, 154 ms in all). So items are pickled one by one and
packed, 64 to a *segment* (one artifact under ``<expander>#items``, at the expander's index
plus the segment number); an item whose pickle passes :data:`ALONE_BYTES` (a DataFrame, say)
is stored alone under its own ``(expander, index + (j,))`` ref instead, and its place in the
segment holds None, so a task that reads one item never loads 64 large ones. Item ``j`` is
in segment ``j // 64``: a reader needs nothing but the item count (the manifest, written after
every segment and still the commit point). Segments are signed and written atomically like
any artifact; the item pickles inside them are only unpickled after the segment verified.

    >>> segment_of(130)
    2
"""

from __future__ import annotations

import pickle
import sys
from typing import Any, Iterable

import cloudpickle

from hamilflow.runtime.store import ArtifactStore

SEGMENT = 64
ALONE_BYTES = 256 * 1024  # an item larger than this (pickled) is an artifact of its own

Index = tuple[int, ...]


def segment_of(position: int) -> int:
    return position // SEGMENT


def segment_name(expander: str) -> str:
    """The node name segments are stored under: ``#`` cannot be part of a node's name."""
    return f"{expander}#items"


def write_items(store: ArtifactStore, dag_id: str, run_id: str, expander: str, index: Index, items: list) -> None:
    """Write ``items`` (without flushing: the caller syncs once, then writes the manifest)."""
    alone: list[tuple[str, Any]] = []
    entries: list[bytes | None] = []
    for j, item in enumerate(items):
        blob = None if sys.getsizeof(item) > ALONE_BYTES else cloudpickle.dumps(item, protocol=5)
        if blob is None or len(blob) > ALONE_BYTES:
            alone.append((store.ref(dag_id, run_id, expander, index + (j,)), item))
            entries.append(None)
        else:
            entries.append(blob)
    for ref, item in alone:
        store.put(ref, item, sync=False)
    name = segment_name(expander)
    for k in range(0, len(entries), SEGMENT):
        store.put(store.ref(dag_id, run_id, name, index + (k // SEGMENT,)), entries[k : k + SEGMENT], sync=False)


class ItemReader:
    """Reads items back, one segment load per 64 consecutive items (kept for the reader's lifetime)."""

    def __init__(self, store: ArtifactStore, dag_id: str, run_id: str) -> None:
        self.store, self.dag_id, self.run_id = store, dag_id, run_id
        self._segments: dict[tuple[str, Index], list] = {}

    def item(self, expander: str, index: Index) -> Any:
        """Item ``index[-1]`` of the items ``expander`` produced at ``index[:-1]``."""
        prefix, position = index[:-1], index[-1]
        key = (expander, prefix + (segment_of(position),))
        segment = self._segments.get(key)
        if segment is None:
            segment = self._segments[key] = self.store.get(
                self.store.ref(self.dag_id, self.run_id, segment_name(expander), key[1])
            )
        entry = segment[position % SEGMENT]
        if entry is None:
            return self.store.get(self.store.ref(self.dag_id, self.run_id, expander, index))
        return pickle.loads(entry)  # noqa: S301 - the segment it came from was verified by the store

    def items(self, expander: str, prefix: Index, count: int) -> list:
        return [self.item(expander, prefix + (j,)) for j in range(count)]

    def refs(self, expander: str, prefix: Index, count: int) -> Iterable[str]:
        """Every artifact the items of one expander instance may occupy (for listings and tests)."""
        for k in range(0, count, SEGMENT):
            yield self.store.ref(self.dag_id, self.run_id, segment_name(expander), prefix + (k // SEGMENT,))
