"""Expander items in the store: packed 64 to a segment, large ones alone, read back exactly and in order."""

from __future__ import annotations

from typing import Any

from hamilflow.runtime.items import ALONE_BYTES, SEGMENT, ItemReader, segment_name, write_items
from hamilflow.runtime.store import ArtifactStore


def test_items_round_trip_with_large_ones_stored_alone(tmp_path) -> None:
    store = ArtifactStore(str(tmp_path / "store"), secret="k")
    items: list[Any] = [{"row": i, "name": f"item-{i}"} for i in range(150)]
    items[3] = b"x" * (ALONE_BYTES + 1)  # too large for a segment
    items[70] = list(range(100_000))  # small in memory by sys.getsizeof's count, large once pickled
    write_items(store, "d", "r", "rows", (2,), items)
    store.sync()
    reader = ItemReader(store, "d", "r")
    assert reader.items("rows", (2,), len(items)) == items
    assert store.exists(store.ref("d", "r", "rows", (2, 3))) and store.exists(store.ref("d", "r", "rows", (2, 70)))
    assert not store.exists(store.ref("d", "r", "rows", (2, 4)))  # small ones live in segments
    segments = [store.ref("d", "r", segment_name("rows"), (2, k)) for k in range(3)]
    assert all(store.exists(ref) for ref in segments) and -(-len(items) // SEGMENT) == 3


def test_a_reader_loads_each_segment_once(tmp_path, monkeypatch) -> None:
    store = ArtifactStore(str(tmp_path / "store"))
    write_items(store, "d", "r", "rows", (), list(range(200)))
    store.sync()
    loads: list[str] = []
    get = ArtifactStore.get

    def counting_get(self: ArtifactStore, ref: str) -> Any:
        loads.append(ref)
        return get(self, ref)

    monkeypatch.setattr(ArtifactStore, "get", counting_get)
    reader = ItemReader(store, "d", "r")
    assert [reader.item("rows", (j,)) for j in range(10, 140)] == list(range(10, 140))
    assert len(loads) == 3  # items 10..139 span segments 0, 1 and 2
