"""Faults of the artifact store (issue 13), each reproduced: replayed signatures, names too long for
the filesystem, temp files of killed writers, a worker's stale store, and deployments sharing a bucket."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import cloudpickle
import pytest

from hamilflow.runtime.store import ArtifactIntegrityError, ArtifactNotFoundError, ArtifactStore, codec, store_from_env

RUN_ID = "scheduled__2026-01-01T00:00:00+00:00"
_ENV = (
    "HAMILFLOW_STORE_URL",
    "HAMILFLOW_STORE_SECRET",
    "HAMILFLOW_STORE_VERIFY_SECRETS",
    "HAMILFLOW_STORE_NAMESPACE",
)


# Every test starts from an environment without store settings, whatever the shell running pytest has.
@pytest.fixture(autouse=True)
def _no_store_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["local", "memory"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "local":
        yield str(tmp_path / "artifacts")
        return
    url = f"memory://hamilflow-faults-{uuid.uuid4().hex}"
    yield url
    import fsspec

    fs = fsspec.filesystem("memory")
    root = url.removeprefix("memory:/")
    if fs.exists(root):
        fs.rm(root, recursive=True)


@contextlib.contextmanager
def _no_unpickling() -> Iterator[list[bytes]]:
    """Record calls of cloudpickle.loads instead of running them: a refused artifact must never reach it."""
    calls: list[bytes] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cloudpickle, "loads", calls.append)
        yield calls


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- 1. replayed signatures
@pytest.mark.parametrize(
    "target",
    [
        ("d", "r", "other", (0,)),
        ("d", "r", "n", (1,)),
        ("d", "r", "n", ()),
        ("d", "r2", "n", (0,)),
        ("d2", "r", "n", (0,)),
    ],
    ids=["node", "map-index", "unmapped", "run", "dag"],
)
@pytest.mark.parametrize("secret", ["k", None], ids=["signed", "unsigned"])
def test_artifact_copied_to_another_identity_is_refused_before_unpickling(
    tmp_path: Path, target: tuple, secret: str | None
) -> None:
    store = ArtifactStore(tmp_path, secret=secret)
    source = store.put(store.ref("d", "r", "n", (0,)), "value")
    copy = store.ref(*target)
    (tmp_path / copy).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tmp_path / source, tmp_path / copy)
    with _no_unpickling() as calls, pytest.raises(ArtifactIntegrityError, match="copied or moved") as info:
        store.get(copy)
    message = str(info.value)
    assert copy in message and source in message and "rerun" in message
    assert calls == []
    assert store.get(source) == "value"


def test_unsigned_and_old_format_artifacts_are_refused_while_a_secret_is_set(tmp_path: Path) -> None:
    unsigned = ArtifactStore(tmp_path).put("d/r/unsigned/_.pkl", 1)
    # A format-1 artifact: its HMAC covers the payload only, so it could be a replay from anywhere.
    payload = cloudpickle.dumps("old")
    digest = hashlib.sha256(payload).digest()
    old_mac = hmac.new(b"k", payload, hashlib.sha256).digest()
    (tmp_path / "d/r/old").mkdir(parents=True)
    (tmp_path / "d/r/old/_.pkl").write_bytes(codec.MAGIC + bytes((1, 1)) + digest + old_mac + payload)

    signed = ArtifactStore(tmp_path, secret="k")
    with _no_unpickling() as calls:
        with pytest.raises(ArtifactIntegrityError, match="is unsigned but") as info:
            signed.get(unsigned)
        assert unsigned in str(info.value)
        with pytest.raises(ArtifactIntegrityError, match="format 1") as info:
            signed.get("d/r/old/_.pkl")
        assert "d/r/old/_.pkl" in str(info.value)
    assert calls == []
    assert ArtifactStore(tmp_path).get("d/r/old/_.pkl") == "old"  # without a secret, old stores stay readable


def test_key_rotation_one_key_signs_several_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old_ref = ArtifactStore(tmp_path, secret="old").put("d/r/a/_.pkl", "by old")
    rotated = ArtifactStore(tmp_path, secret="new", verify_secrets=["old"])
    assert rotated.get(old_ref) == "by old"
    new_ref = rotated.put("d/r/b/_.pkl", "by new")
    assert ArtifactStore(tmp_path, secret="new").get(new_ref) == "by new"  # signed with the signing key only

    dropped = ArtifactStore(tmp_path, secret="new")
    with pytest.raises(ArtifactIntegrityError, match="HAMILFLOW_STORE_VERIFY_SECRETS") as info:
        dropped.get(old_ref)
    assert old_ref in str(info.value)

    monkeypatch.setenv("HAMILFLOW_STORE_SECRET", "new")
    monkeypatch.setenv("HAMILFLOW_STORE_VERIFY_SECRETS", " older , old ")
    assert store_from_env(tmp_path).get(old_ref) == "by old"
    monkeypatch.setenv("HAMILFLOW_STORE_VERIFY_SECRETS", "older")
    with pytest.raises(ArtifactIntegrityError):
        store_from_env(tmp_path).get(old_ref)

    with pytest.raises(ValueError, match="signing secret"):
        ArtifactStore(tmp_path, verify_secrets=["old"])
    monkeypatch.delenv("HAMILFLOW_STORE_SECRET")
    with pytest.raises(ValueError, match="HAMILFLOW_STORE_SECRET"):
        store_from_env(tmp_path)


# --------------------------------------------------------------------------- 2. long names
LONG_RUN_ID = ("manual__2026-01-01T00:00:00+00:00" + ":+~" * 100)[:255]
LONG_NODE = ("überstraße_ñandú_" * 20)[:300]


def test_long_run_id_and_non_ascii_node_are_stored_and_read_back(url: str, tmp_path: Path) -> None:
    store = ArtifactStore(url, secret="k")
    refs = [store.ref("dag", LONG_RUN_ID, LONG_NODE, index) for index in [(), (0,), (1,)]]
    for i, ref in enumerate(refs):
        assert store.put(ref, i) == ref
    assert store.get_many(refs) == [0, 1, 2]
    assert all(store.exists(ref) for ref in refs)
    assert store.list_run("dag", LONG_RUN_ID) == sorted(refs)
    if "://" not in url:
        files = _files(Path(url))
        assert len(files) == 3
        assert max(len(part.encode()) for f in files for part in f.relative_to(url).parts) <= 255
    store.delete_run("dag", LONG_RUN_ID)
    assert store.list_run("dag", LONG_RUN_ID) == [] and not store.exists(refs[0])


def test_long_names_with_a_common_prefix_stay_distinct(url: str) -> None:
    store = ArtifactStore(url)
    run_a, run_b = LONG_RUN_ID[:-1] + "a", LONG_RUN_ID[:-1] + "b"
    node_a, node_b = LONG_NODE + "a", LONG_NODE + "b"
    refs = [store.ref("d", run, node) for run in (run_a, run_b) for node in (node_a, node_b)]
    assert len(set(refs)) == 4
    for i, ref in enumerate(refs):
        store.put(ref, i)
    assert store.get_many(refs) == [0, 1, 2, 3]
    assert store.list_run("d", run_a) == sorted(refs[:2])
    assert store.list_run("d", run_b) == sorted(refs[2:])
    # a short name never takes the path of a shortened one
    short = store.ref("d", "r", "n")
    store.put(short, "short")
    assert store.get(short) == "short" and store.get_many(refs) == [0, 1, 2, 3]


# --------------------------------------------------------------------------- 3. killed writers
_WRITER = textwrap.dedent(
    """
    import sys, time
    from hamilflow.runtime.store import ArtifactStore, codec

    def write_half_then_hang(fh, data):  # a real, partial temp file, then the writer is killed
        if len(data) < 1 << 20:  # the pickle's small pieces go through; the value's bytes stop halfway
            fh.write(data)
            return
        fh.write(data[: len(data) // 2])
        fh.flush()
        open(sys.argv[2], "w").close()
        time.sleep(600)

    codec._write_chunks = write_half_then_hang
    ArtifactStore(sys.argv[1]).put("d/r/n/_.pkl", b"new" * (4 << 20))
    """
)


def _start_writer(root: Path, tmp_path: Path) -> subprocess.Popen:
    ready = tmp_path / f"ready-{uuid.uuid4().hex}"
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(root), str(ready)])
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert writer.poll() is None, "the writer exited before writing"
        assert time.monotonic() < deadline, "the writer never started writing"
        time.sleep(0.02)
    return writer


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("had_old_value", [False, True])
def test_writer_killed_mid_write_leaves_no_torn_artifact_and_its_temp_is_swept(
    tmp_path: Path, had_old_value: bool
) -> None:
    root, folder = tmp_path / "store", tmp_path / "store/d/r/n"
    store = ArtifactStore(root)
    if had_old_value:
        store.put("d/r/n/_.pkl", "old")
    writer = _start_writer(root, tmp_path)
    try:
        (temp,) = _temps(folder)
        assert temp.stat().st_size >= 6 << 20  # mid-write: half of the value is on disk
        # a live writer's temp file is never removed, however old it is
        os.utime(temp, (0, 0))
        assert store.sweep_temp(older_than=0) == []
        assert store.list_run("d", "r") == (["d/r/n/_.pkl"] if had_old_value else [])
        assert temp.exists()
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert temp.exists()  # what the issue reports: a killed writer leaves its temp file
    if had_old_value:
        assert store.get("d/r/n/_.pkl") == "old"
    else:
        assert not store.exists("d/r/n/_.pkl")
        with pytest.raises(ArtifactNotFoundError):
            store.get("d/r/n/_.pkl")
    assert store.list_run("d", "r") == (["d/r/n/_.pkl"] if had_old_value else [])
    assert not temp.exists()  # list_run swept it: its writer is dead
    assert _temps(folder) == []


def test_a_write_to_the_same_folder_sweeps_a_dead_writers_temp(tmp_path: Path) -> None:
    root, folder = tmp_path / "store", tmp_path / "store/d/r/n"
    writer = _start_writer(root, tmp_path)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    (temp,) = _temps(folder)
    ArtifactStore(root).put("d/r/n/3.pkl", 3)  # a retry, or another item of the same node
    assert not temp.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["3.pkl"]


def test_sweep_temp_removes_temps_of_other_machines_only_once_they_are_old(url: str) -> None:
    store = ArtifactStore(url)
    store.put("d/r/n/_.pkl", 1)
    other_machine = ".x.0123456789ab.4242." + uuid.uuid4().hex + ".tmp"
    older_format = "._.pkl.123.deadbeef.tmp"
    fs, base = (None, Path(url) / "d/r/n") if "://" not in url else (store._fs, store._root + "/d/r/n")
    for name in (other_machine, older_format):
        if fs is None:
            (base / name).write_bytes(b"partial")
        else:
            fs.pipe_file(f"{base}/{name}", b"partial")
    assert store.sweep_temp() == []  # fresh: their writers may still be running elsewhere
    assert store.list_run("d", "r") == ["d/r/n/_.pkl"]
    time.sleep(0.05)
    removed = store.sweep_temp(older_than=0.01)
    assert sorted(p.rsplit("/", 1)[-1] for p in removed) == sorted([other_machine, older_format])
    remaining = [p.name for p in base.iterdir()] if fs is None else [p.rsplit("/", 1)[-1] for p in fs.find(base)]
    assert remaining == ["_.pkl"]
    assert store.get("d/r/n/_.pkl") == 1


# --------------------------------------------------------------------------- 4. stale stores in a worker
def test_store_from_env_follows_the_environment_between_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAMILFLOW_STORE_URL", str(tmp_path / "a"))
    monkeypatch.setenv("HAMILFLOW_STORE_SECRET", "one")
    first = store_from_env()
    assert store_from_env() is first  # cached while nothing changes
    ref = first.put("d/r/n/_.pkl", "signed with one")

    monkeypatch.setenv("HAMILFLOW_STORE_SECRET", "two")
    second = store_from_env()
    assert second is not first
    with pytest.raises(ArtifactIntegrityError, match="different HAMILFLOW_STORE_SECRET"):
        second.get(ref)
    monkeypatch.setenv("HAMILFLOW_STORE_VERIFY_SECRETS", "one")
    assert store_from_env().get(ref) == "signed with one"

    monkeypatch.setenv("HAMILFLOW_STORE_URL", str(tmp_path / "b"))
    assert store_from_env().url == str(tmp_path / "b")
    assert ArtifactStore.from_env().url == str(tmp_path / "b")
    assert not store_from_env().exists(ref)
    monkeypatch.setenv("HAMILFLOW_STORE_NAMESPACE", "blue")
    assert store_from_env().namespace == "blue"
    assert store_from_env(tmp_path / "explicit").url == str(tmp_path / "explicit")  # an explicit URL wins


# --------------------------------------------------------------------------- 5. deployments sharing a bucket
def test_two_namespaces_on_one_root_never_see_each_other(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    blue, green, default = (ArtifactStore(url, namespace=ns) for ns in ("blue", "green", ""))
    ref = ArtifactStore.ref("etl", RUN_ID, "clean")
    for store in (blue, green, default):
        store.put(ref, store.namespace or "default")
    assert [s.get(ref) for s in (blue, green, default)] == ["blue", "green", "default"]
    assert [s.list_run("etl", RUN_ID) for s in (blue, green, default)] == [[ref]] * 3
    only_blue = blue.put(ArtifactStore.ref("etl", RUN_ID, "only"), 1)
    assert not green.exists(only_blue) and not default.exists(only_blue)
    blue.delete_run("etl", RUN_ID)
    assert not blue.exists(ref) and green.get(ref) == "green" and default.get(ref) == "default"
    monkeypatch.setenv("HAMILFLOW_STORE_NAMESPACE", "green")
    assert ArtifactStore(url).get(ref) == "green"  # the environment names the deployment


def test_default_namespace_keeps_the_existing_layout(tmp_path: Path) -> None:
    ArtifactStore(tmp_path).put(ArtifactStore.ref("etl", RUN_ID, "clean"), 1)
    assert [p.relative_to(tmp_path).as_posix() for p in _files(tmp_path)] == [
        "etl/scheduled__2026-01-01T00%3A00%3A00%2B00%3A00/clean/_.pkl"
    ]


def test_signed_artifact_copied_to_another_namespace_is_refused(tmp_path: Path) -> None:
    blue, green = (
        ArtifactStore(tmp_path, secret="k", namespace="blue"),
        ArtifactStore(tmp_path, secret="k", namespace="green"),
    )
    ref = blue.put("d/r/n/_.pkl", "blue")
    green.put(ref, "green")
    (source,) = (p for p in _files(tmp_path) if "blue" in str(p))
    (target,) = (p for p in _files(tmp_path) if "green" in str(p))
    shutil.copyfile(source, target)
    with _no_unpickling() as calls, pytest.raises(ArtifactIntegrityError, match="copied or moved") as info:
        green.get(ref)
    assert ref in str(info.value) and "blue" in str(info.value)
    assert calls == []


def test_spool_files_left_by_a_killed_process_are_swept_and_live_ones_kept(tmp_path) -> None:
    """A remote store streams through local spool files; a killed writer's stay behind until a later sweep."""
    from hamilflow.runtime.store import artifact

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    old = time.time() - 2 * artifact._SPOOL_MAX_AGE
    left = tmp_path / f"{dead_pid}.abc.pkl"
    mine = tmp_path / f"{os.getpid()}.def.pkl"
    young = tmp_path / f"{dead_pid}.ghi.pkl"
    for path in (left, mine, young):
        path.write_bytes(b"x" * 10)
    for path in (left, mine):
        os.utime(path, (old, old))
    artifact._sweep_spool(str(tmp_path), time.time() - artifact._SPOOL_MAX_AGE)
    assert not left.exists()  # old, and its process is gone
    assert mine.exists() and young.exists()  # this process's own, and one that may still be in use


def test_a_format_4_artifact_relabelled_as_format_3_is_refused_unread(tmp_path: Path) -> None:
    for secret in (None, "k"):
        store = ArtifactStore(tmp_path / str(secret), secret=secret)
        ref = store.put("d/r/n/_.pkl", "value")
        path = tmp_path / str(secret) / ref
        blob = bytearray(path.read_bytes())
        assert blob[len(codec.MAGIC)] == codec.FORMAT_VERSION == 4
        assert bytes(blob[8:40]) == codec.content_hasher(4, bytes(blob[72:])).digest()
        blob[len(codec.MAGIC)] = 3
        path.write_bytes(bytes(blob))
        with _no_unpickling() as calls, pytest.raises(ArtifactIntegrityError, match="checksum"):
            store.get(ref)
        assert calls == []
