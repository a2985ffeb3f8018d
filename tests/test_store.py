"""Tests for hamilflow.runtime.store: run-scoped, atomic, verified artifacts."""

from __future__ import annotations

import hashlib
import mmap
import multiprocessing
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cloudpickle
import pandas as pd
import pytest

from hamilflow.runtime.store import (
    ArtifactIntegrityError,
    ArtifactNotFoundError,
    ArtifactStore,
    StoreError,
    codec,
    signing,
)

RUN_ID = "manual__2026-11-25T01:00:00+00:00"


# The store reads HAMILFLOW_STORE_NAMESPACE (and from_env the secrets): tests start without any of them.
@pytest.fixture(autouse=True)
def _no_store_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("URL", "SECRET", "VERIFY_SECRETS", "NAMESPACE"):
        monkeypatch.delenv(f"HAMILFLOW_STORE_{name}", raising=False)


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArtifactStore]:
    if request.param == "local":
        yield ArtifactStore(tmp_path / "artifacts")
        return
    url = f"memory://hamilflow-test-{uuid.uuid4().hex}"
    s = ArtifactStore(url)
    yield s
    import fsspec

    fsspec.filesystem("memory").rm(s._root, recursive=True)


def _dir_entries(path: Path) -> list[str]:
    return sorted(os.listdir(path))


# --------------------------------------------------------------------------- round trip
def test_round_trip_dataframe_lambda_and_local_class(store: ArtifactStore) -> None:
    class Point:
        def __init__(self, x: int) -> None:
            self.x = x

    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    ref_df = store.put(store.ref("dag", RUN_ID, "df"), df)
    ref_fn = store.put(store.ref("dag", RUN_ID, "fn"), lambda v: v * 3)
    ref_pt = store.put(store.ref("dag", RUN_ID, "pt"), Point(7))

    pd.testing.assert_frame_equal(store.get(ref_df), df)
    assert store.get(ref_fn)(5) == 15
    point = store.get(ref_pt)
    assert point.x == 7 and type(point).__name__ == "Point"
    assert store.get_many([ref_pt, ref_df, ref_fn])[0].x == 7
    assert [type(v).__name__ for v in store.get_many([ref_fn, ref_pt])] == ["function", "Point"]


def test_exists_missing_and_list_run(store: ArtifactStore) -> None:
    ref = store.ref("dag", RUN_ID, "node", (1, 2))
    assert not store.exists(ref)
    with pytest.raises(ArtifactNotFoundError) as info:
        store.get(ref)
    assert isinstance(info.value, KeyError) and isinstance(info.value, StoreError)
    assert ref in str(info.value) and store.url in str(info.value)
    store.put(ref, 1)
    store.put(store.ref("dag", RUN_ID, "a"), 2)
    assert store.exists(ref)
    assert store.list_run("dag", RUN_ID) == sorted([ref, store.ref("dag", RUN_ID, "a")])
    assert store.list_run("dag", "other-run") == []


# --------------------------------------------------------------------------- refs
def test_ref_layout_and_sanitization() -> None:
    assert ArtifactStore.ref("etl", RUN_ID, "clean") == ("etl/manual__2026-11-25T01%3A00%3A00%2B00%3A00/clean/_.pkl")
    assert ArtifactStore.ref("etl", "r", "n", (0, 3)) == "etl/r/n/0.3.pkl"
    assert ArtifactStore.ref("etl", "a/b", "n") == "etl/a%2Fb/n/_.pkl"
    assert ArtifactStore.ref("..", ".", "n") == "%2E%2E/%2E/n/_.pkl"
    assert ArtifactStore.ref("d", "ü%", "n") == "d/%C3%BC%25/n/_.pkl"
    # encoding is injective: a literal "%3A" must not alias ":"
    assert ArtifactStore.ref("d", "a%3A", "n") != ArtifactStore.ref("d", "a:", "n")
    for empty in [("", "r", "n"), ("d", "", "n"), ("d", "r", "")]:
        with pytest.raises(ValueError, match="must not be empty"):
            ArtifactStore.ref(*empty)
    for bad_index in [(-1,), (True,), (1.5,)]:
        with pytest.raises(ValueError):
            ArtifactStore.ref("d", "r", "n", bad_index)


def test_refs_stay_inside_root(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path / "root")
    ref = store.put(store.ref("..", "../../etc", "n"), "x")
    assert "/../" not in f"/{ref}/"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 1 and (tmp_path / "root") in written[0].parents
    for evil in ["../outside.pkl", "/etc/passwd", "a//b.pkl", "a/./b.pkl", "a\\..\\b.pkl", ""]:
        with pytest.raises(ValueError):
            store.put(evil, 1)
        with pytest.raises(ValueError):
            store.get(evil)
    assert not (tmp_path / "outside.pkl").exists()


def test_two_runs_of_same_dag_and_node_do_not_collide(store: ArtifactStore) -> None:
    ref1 = store.put(store.ref("dag", "scheduled__2026-01-01T00:00:00+00:00", "n"), "first")
    ref2 = store.put(store.ref("dag", "backfill__2026-01-01T00:00:00+00:00", "n"), "second")
    assert ref1 != ref2
    assert store.get_many([ref1, ref2]) == ["first", "second"]


# --------------------------------------------------------------------------- integrity
def _poison_loads(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    calls: list[bytes] = []
    monkeypatch.setattr(cloudpickle, "loads", lambda data: calls.append(data))
    return calls


def test_corrupted_payload_is_refused_before_unpickling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ArtifactStore(tmp_path)
    ref = store.put(store.ref("d", "r", "n"), {"k": list(range(100))})
    path = tmp_path / ref
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0xFF
    path.write_bytes(bytes(blob))
    calls = _poison_loads(monkeypatch)
    with pytest.raises(ArtifactIntegrityError, match="checksum") as info:
        store.get(ref)
    assert ref in str(info.value)
    assert calls == []


@pytest.mark.parametrize("mangle", [lambda b: b[:40], lambda b: b"NOTHFS" + b[6:], lambda b: b""])
def test_truncated_or_foreign_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mangle) -> None:
    store = ArtifactStore(tmp_path)
    ref = store.put("d/r/n/_.pkl", "value")
    path = tmp_path / ref
    path.write_bytes(mangle(path.read_bytes()))
    calls = _poison_loads(monkeypatch)
    with pytest.raises(ArtifactIntegrityError, match="not a hamilflow artifact"):
        store.get(ref)
    assert calls == []


def test_secret_refuses_unsigned_and_foreign_artifacts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = ArtifactStore(tmp_path)
    mine = ArtifactStore(tmp_path, secret="right")
    theirs = ArtifactStore(tmp_path, secret=b"wrong")
    unsigned = plain.put("d/r/unsigned/_.pkl", 1)
    foreign = theirs.put("d/r/foreign/_.pkl", 2)
    signed = mine.put("d/r/signed/_.pkl", 3)

    assert mine.get(signed) == 3
    assert plain.get(signed) == 3  # readers without a secret still verify the checksum
    calls = _poison_loads(monkeypatch)
    with pytest.raises(ArtifactIntegrityError, match="is unsigned but"):
        mine.get(unsigned)
    with pytest.raises(ArtifactIntegrityError, match="different HAMILFLOW_STORE_SECRET") as info:
        mine.get(foreign)
    assert foreign in str(info.value)
    assert calls == []
    with pytest.raises(ValueError):
        ArtifactStore(tmp_path, secret="")


def test_forged_checksum_without_secret_is_caught_by_hmac(tmp_path: Path) -> None:
    """An attacker rewriting payload *and* its digest must still fail the HMAC."""
    store = ArtifactStore(tmp_path, secret="k")
    ref = store.put("d/r/n/_.pkl", "good")
    path = tmp_path / ref
    blob = path.read_bytes()
    header_len = len(codec.MAGIC) + 2 + 64
    payload = cloudpickle.dumps("evil")
    digest = codec.content_hasher(codec.FORMAT_VERSION, payload).digest()
    forged = blob[: len(codec.MAGIC) + 2] + digest + blob[header_len - 32 : header_len]
    path.write_bytes(forged + payload)
    with pytest.raises(ArtifactIntegrityError, match="HMAC"):
        store.get(ref)


# --------------------------------------------------------------------------- atomicity
def _crash_halfway(fh, data: bytes) -> None:
    fh.write(data[: len(data) // 2])
    raise RuntimeError("killed mid-write")


@pytest.mark.parametrize("had_old_value", [False, True])
def test_crash_mid_write_leaves_no_torn_or_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, had_old_value: bool
) -> None:
    store = ArtifactStore(tmp_path)
    ref = store.ref("d", "r", "n")
    if had_old_value:
        store.put(ref, "old")
    monkeypatch.setattr(codec, "_write_chunks", _crash_halfway)
    with pytest.raises(RuntimeError, match="killed mid-write"):
        store.put(ref, "new" * 10_000)
    monkeypatch.undo()
    if had_old_value:
        assert store.get(ref) == "old"
        assert _dir_entries(tmp_path / "d" / "r" / "n") == ["_.pkl"]
    else:
        assert not store.exists(ref)
        assert _dir_entries(tmp_path / "d" / "r" / "n") == []


def test_failed_rename_keeps_old_value_and_cleans_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ArtifactStore(tmp_path)
    ref = store.put("d/r/n/_.pkl", "old")

    def boom(src: str, dst: str) -> None:
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="rename failed"):
        store.put(ref, "new")
    monkeypatch.undo()
    assert store.get(ref) == "old"
    assert _dir_entries(tmp_path / "d" / "r" / "n") == ["_.pkl"]


def test_fsspec_failed_move_keeps_old_value_and_cleans_temp(monkeypatch: pytest.MonkeyPatch) -> None:
    store = ArtifactStore(f"memory://hamilflow-mv-{uuid.uuid4().hex}")
    ref = store.put("d/r/n/_.pkl", "old")

    def boom(*args, **kwargs) -> None:
        raise OSError("mv failed")

    monkeypatch.setattr(store._fs, "mv", boom)
    with pytest.raises(OSError, match="mv failed"):
        store.put(ref, "new")
    monkeypatch.undo()
    assert store.get(ref) == "old"
    assert store._fs.find(store._root) == [f"{store._root}/d/r/n/_.pkl"]
    store._fs.rm(store._root, recursive=True)


def test_stray_temp_file_from_killed_writer_is_ignored(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    ref = store.put("d/r/n/_.pkl", 1)
    (tmp_path / "d/r/n/._.pkl.123.deadbeef.tmp").write_bytes(b"partial")
    assert store.list_run("d", "r") == [ref]


# --------------------------------------------------------------------------- concurrency
_PAYLOAD = 3 << 20  # several write chunks, so unprotected writers would interleave


def _check_complete(value: bytes) -> None:
    assert len(value) == _PAYLOAD and value == bytes([value[0]]) * _PAYLOAD, "mixed artifact"


def _process_writer(args: tuple[str, int]) -> str:
    """Write the shared ref repeatedly and read it back in between, as racing retries would."""
    root, marker = args
    store = ArtifactStore(root)
    for _ in range(5):
        store.put("d/r/n/_.pkl", bytes([marker]) * _PAYLOAD)
        _check_complete(store.get("d/r/n/_.pkl"))  # never torn, never a mix
    return store.put(f"d/r/own/{marker}.pkl", marker)


def test_concurrent_processes_writing_same_ref_leave_one_complete_artifact(tmp_path: Path) -> None:
    markers = list(range(8))
    # spawn, not fork: this process runs threads (Ray's, Dask's) and a forked child can inherit a held lock
    with multiprocessing.get_context("spawn").Pool(len(markers)) as pool:
        refs = pool.map(_process_writer, [(str(tmp_path), m) for m in markers])
    store = ArtifactStore(tmp_path)
    value = store.get("d/r/n/_.pkl")
    _check_complete(value)
    assert value[0] in markers
    assert store.get_many(refs) == markers
    assert _dir_entries(tmp_path / "d" / "r" / "n") == ["_.pkl"]


def test_concurrent_threads_distinct_and_same_refs(store: ArtifactStore) -> None:
    def write(i: int) -> str:
        store.put(store.ref("d", "r", "shared"), [i] * 50_000)
        assert len(set(store.get(store.ref("d", "r", "shared")))) == 1
        return store.put(store.ref("d", "r", "mapped", (i,)), i)

    with ThreadPoolExecutor(16) as pool:
        refs = list(pool.map(write, range(64)))
    assert store.get_many(refs) == list(range(64))
    shared = store.get(store.ref("d", "r", "shared"))
    assert len(set(shared)) == 1 and len(shared) == 50_000
    assert len(store.list_run("d", "r")) == 65


# --------------------------------------------------------------------------- lifecycle
def test_delete_run_removes_only_that_run(store: ArtifactStore) -> None:
    keep = [
        store.put(store.ref("dag", "run-2", "n"), 2),
        store.put(store.ref("other", "run-1", "n"), 3),
        store.put(store.ref("dag", "run-10", "n"), 4),
    ]
    gone = store.put(store.ref("dag", "run-1", "n", (0,)), 1)
    store.delete_run("dag", "run-1")
    assert not store.exists(gone)
    assert store.list_run("dag", "run-1") == []
    assert store.get_many(keep) == [2, 3, 4]
    store.delete_run("dag", "never-existed")  # no-op


def test_repr_from_env_and_file_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMILFLOW_STORE_URL", str(tmp_path / "env"))
    monkeypatch.setenv("HAMILFLOW_STORE_SECRET", "topsecret")
    store = ArtifactStore.from_env()
    assert store.url == str(tmp_path / "env")
    assert "topsecret" not in repr(store) and "signed=True" in repr(store)
    with pytest.raises(ArtifactIntegrityError):
        store.get(ArtifactStore(tmp_path / "env").put("d/r/n/_.pkl", 1))

    monkeypatch.delenv("HAMILFLOW_STORE_URL")
    monkeypatch.setenv("HAMILFLOW_STORE_SECRET", "")
    fallback = ArtifactStore.from_env(tmp_path / "fallback")
    assert fallback.url == str(tmp_path / "fallback") and "signed=False" in repr(fallback)

    via_url = ArtifactStore(f"file://{tmp_path / 'env'}")
    assert via_url.get("d/r/n/_.pkl") == 1
    assert ArtifactStore().url == str(Path(".hamilflow/artifacts").absolute())


# --------------------------------------------------------------------------- format 3: streamed, out of band
def test_arrays_and_frames_round_trip_out_of_band_writable_in_every_size(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    store = ArtifactStore(tmp_path, secret="k")
    for rows in (10, 200_000):  # read into memory, and mapped (over 1 MB)
        frame = pd.DataFrame({"a": np.arange(rows, dtype="float64"), "b": np.arange(rows) % 7, "c": "x"})
        value = {"frame": frame, "array": np.arange(rows * 3).reshape(rows, 3).T, "bytes": b"\0" * rows}
        got = store.get(store.put(store.ref("d", "r", f"n{rows}"), value))
        pd.testing.assert_frame_equal(got["frame"], frame)
        assert (got["array"] == value["array"]).all() and got["bytes"] == value["bytes"]
        got["frame"].iloc[0, 0] = -1.0  # a value read back is the task's own, writable
        got["array"][0, 0] = -1
        assert frame.iloc[0, 0] == 0.0 and store.get(store.ref("d", "r", f"n{rows}"))["array"][0, 0] == 0


def test_a_write_and_a_read_copy_no_array(tmp_path: Path) -> None:
    import tracemalloc

    np = pytest.importorskip("numpy")
    store = ArtifactStore(tmp_path)
    value = np.ones(8 << 20)  # 64 MB
    ref = store.ref("d", "r", "big")
    store.put(ref, value)
    tracemalloc.start()
    try:
        store.put(ref, value)
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        got = store.get(ref)
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (got == value).all()
    assert put_peak < 4 << 20 and get_peak < 4 << 20, (put_peak, get_peak)  # the array is never copied


def test_format_2_artifacts_are_still_read_and_checked_like_before(tmp_path: Path) -> None:
    for secret in (None, "k"):
        store = ArtifactStore(tmp_path / str(secret), secret=secret)
        ref = store.ref("d", "r", "old")
        identity, head = store._identity_head(ref)
        payload = cloudpickle.dumps({"v": 2})
        digest = hashlib.sha256(head + payload).digest()
        flags, mac = (0, bytes(32)) if secret is None else (1, signing._mac(b"k", 2, 1, identity, digest))
        path = tmp_path / str(secret) / "d" / "r" / "old" / "_.pkl"
        path.parent.mkdir(parents=True)
        path.write_bytes(codec.MAGIC + bytes((2, flags)) + digest + mac + head + payload)
        assert store.get(ref) == {"v": 2}
        moved = store.ref("d", "r2", "old")
        (tmp_path / str(secret) / "d" / "r2" / "old").mkdir(parents=True)
        (tmp_path / str(secret) / "d" / "r2" / "old" / "_.pkl").write_bytes(path.read_bytes())
        with pytest.raises(ArtifactIntegrityError, match="written for"):
            store.get(moved)


@pytest.mark.parametrize("where", [-1, -5, -40])
def test_a_damaged_buffer_table_or_buffer_is_refused_before_unpickling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: int
) -> None:
    np = pytest.importorskip("numpy")
    store = ArtifactStore(tmp_path)
    ref = store.put(store.ref("d", "r", "n"), np.arange(1 << 18))
    path = tmp_path / "d" / "r" / "n" / "_.pkl"
    data = bytearray(path.read_bytes())
    data[where] ^= 0xFF
    path.write_bytes(bytes(data))
    calls = _poison_loads(monkeypatch)
    with pytest.raises(ArtifactIntegrityError, match="checksum"):
        store.get(ref)
    assert calls == []


def test_a_file_system_that_cannot_map_files_is_read_instead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    np = pytest.importorskip("numpy")
    store = ArtifactStore(tmp_path, secret="k")
    ref = store.put(store.ref("d", "r", "n"), np.arange(1 << 18))

    def no_mmap(*args, **kwargs):
        raise OSError("mmap not supported")

    monkeypatch.setattr(mmap, "mmap", no_mmap)
    got = store.get(ref)
    assert (got == np.arange(1 << 18)).all() and got.flags.writeable


def test_format_3_artifacts_digested_with_sha256_are_still_read(tmp_path: Path, monkeypatch) -> None:
    np = pytest.importorskip("numpy")
    value = {"small": [1, 2], "array": np.arange(1 << 18)}  # over 1 MB: read through the mapped path too
    with monkeypatch.context() as old:  # what a hamilflow writing format 3 wrote
        old.setattr(codec, "FORMAT_VERSION", 3)
        old.setattr(signing, "FORMAT_VERSION", 3)
        ref = ArtifactStore(tmp_path, secret="k").put("d/r/n/_.pkl", value)
    blob = (tmp_path / ref).read_bytes()
    assert blob[len(codec.MAGIC)] == 3 and blob[8:40] == hashlib.sha256(blob[72:]).digest()
    got = ArtifactStore(tmp_path, secret="k").get(ref)
    assert got["small"] == [1, 2] and (got["array"] == value["array"]).all()
