"""``hamilflow gc`` on real stores: a local folder, and S3 served by moto on loopback.

What is checked: old runs go and young ones stay (a run's age is its newest file's), a run with a
live writer or one Airflow lists as running stays whatever its age, temp files of killed writers
go, a dry run deletes nothing, the figures of the report are the bytes and files really removed,
and gc stays inside its deployment's namespace and its ``--dag``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hamilflow.cli import main
from hamilflow.cli_gc import parse_duration
from hamilflow.errors import SettingError
from hamilflow.runtime.store import ArtifactStore
from hamilflow.runtime.store.retention import collect_garbage
from tests.test_store_faults import _start_writer

DAY = 86400.0
OLD = time.time() - 40 * DAY  # older than the 30 days the tests collect


@pytest.fixture(autouse=True)
def _no_store_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests start without a store, namespace or Airflow from the developer's shell."""
    for name in ("URL", "SECRET", "VERIFY_SECRETS", "NAMESPACE"):
        monkeypatch.delenv(f"HAMILFLOW_STORE_{name}", raising=False)
    monkeypatch.delenv("AIRFLOW_HOME", raising=False)
    monkeypatch.delenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", raising=False)


def _write_run(store: ArtifactStore, dag: str, run: str, nodes: int = 3, items: int = 0) -> None:
    for n in range(nodes):
        store.put(store.ref(dag, run, f"node{n}"), list(range(100 * (n + 1))))
    for i in range(items):
        store.put(store.ref(dag, run, "item", (i,)), {"item": i})


def _age(folder: Path, when: float = OLD) -> None:
    """Make every file under ``folder`` last modified at ``when``."""
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (when, when))


def _files(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` (relative path -> size): what is on disk, independently of gc."""
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*")) if p.is_file()}


def _gc(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    assert main(["gc", "--json", "--no-airflow", *args]) == 0
    return json.loads(capsys.readouterr().out)


# --------------------------------------------------------------------------- a local folder
def test_old_runs_go_young_ones_stay_and_the_report_counts_what_was_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "store"
    store = ArtifactStore(root)
    _write_run(store, "etl", "scheduled__2024-01-01T00:00:00+00:00", items=4)
    _write_run(store, "etl", "scheduled__2024-01-02T00:00:00+00:00")
    _write_run(store, "etl", "manual__today")
    _write_run(store, "report", "scheduled__2024-01-01T00:00:00+00:00")
    before = _files(root)
    for dag, day in [("etl", 1), ("etl", 2), ("report", 1)]:
        _age(Path(store._run_path(dag, f"scheduled__2024-01-0{day}T00:00:00+00:00")))

    report = _gc(capsys, "--older-than", "30d", "--store-url", str(root), "--yes")

    after = _files(root)
    removed = {path: size for path, size in before.items() if path not in after}
    assert sorted((r["dag_id"], r["run_id"]) for r in report["collected"]) == [
        ("etl", "scheduled__2024-01-01T00:00:00+00:00"),
        ("etl", "scheduled__2024-01-02T00:00:00+00:00"),
        ("report", "scheduled__2024-01-01T00:00:00+00:00"),
    ]
    assert report["freed"] == {"runs": 3, "files": len(removed), "bytes": sum(removed.values())}
    assert len(removed) == 4 + 3 + 3 + 3 and report["dry_run"] is False
    assert [(r["run_id"], r["decision"]) for r in report["kept"]] == [("manual__today", "young")]
    # the young run is whole and readable; the old ones are gone, and so is the DAG folder left empty
    assert store.get(store.ref("etl", "manual__today", "node2")) == list(range(300))
    assert not store.exists(store.ref("etl", "scheduled__2024-01-01T00:00:00+00:00", "node0"))
    assert store.list_run("etl", "scheduled__2024-01-02T00:00:00+00:00") == []
    assert sorted(p.name for p in root.iterdir()) == ["etl"]


def test_a_dry_run_deletes_nothing_and_reports_what_the_real_run_then_removes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "store"
    store = ArtifactStore(root)
    _write_run(store, "etl", "old", items=3)
    _write_run(store, "etl", "young")
    _age(root / "etl" / "old")
    before = _files(root)

    assert main(["gc", "--older-than", "30d", "--store-url", str(root), "--no-airflow"]) == 0
    text = capsys.readouterr().out
    dry = _gc(capsys, "--older-than", "30d", "--store-url", str(root))
    assert _files(root) == before  # nothing deleted, twice
    assert text.startswith("dry run: would free 1 run, 6 files, ") and "--yes" in text
    assert dry["dry_run"] is True and dry["freed"]["files"] == 6

    real = _gc(capsys, "--older-than", "30d", "--store-url", str(root), "--delete")
    removed = {path: size for path, size in before.items() if path not in _files(root)}
    assert real["freed"] == dry["freed"] == {"runs": 1, "files": 6, "bytes": sum(removed.values())}
    assert real["collected"] == [{**run, "decision": "collected"} for run in dry["collected"]]


def test_a_run_is_as_young_as_its_newest_file(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    _write_run(store, "etl", "retried")
    _age(tmp_path / "etl" / "retried")
    os.utime(tmp_path / "etl/retried/node1/_.pkl", (OLD + 20 * DAY, OLD + 20 * DAY))  # rerun 20 days ago
    report = collect_garbage(store, 30 * DAY, dry_run=False)
    assert report.collected == [] and [run.decision for run in report.kept] == ["young"]
    assert store.list_run("etl", "retried") == [f"etl/retried/node{n}/_.pkl" for n in range(3)]
    report = collect_garbage(store, 10 * DAY, dry_run=False)  # but older than 10 days: it goes
    assert [run.run_id for run in report.collected] == ["retried"] and not (tmp_path / "etl").exists()


def test_a_run_airflow_lists_as_running_stays_however_old(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    _write_run(store, "etl", "manual__2024-01-01T00:00:00+00:00")
    _write_run(store, "etl", "finished")
    _age(tmp_path / "etl")
    running = {("etl", "manual__2024-01-01T00:00:00+00:00")}
    report = collect_garbage(store, 30 * DAY, dry_run=False, running=running, airflow_checked=True)
    assert [(run.run_id, run.decision) for run in report.kept] == [("manual__2024-01-01T00:00:00+00:00", "running")]
    assert [run.run_id for run in report.collected] == ["finished"]
    assert len(store.list_run("etl", "manual__2024-01-01T00:00:00+00:00")) == 3


def test_a_live_writer_keeps_its_run_and_a_killed_writers_temp_file_is_removed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "store"
    store = ArtifactStore(root)
    store.put("d/r/other/_.pkl", "written before")
    writer = _start_writer(root, tmp_path)  # writes d/r/n/_.pkl, stops halfway and hangs
    try:
        _age(root)  # even with every file 40 days old, a run being written stays
        report = _gc(capsys, "--older-than", "30d", "--store-url", str(root), "--yes")
        assert report["collected"] == [] and [r["decision"] for r in report["kept"]] == ["writing"]
        assert report["temp_files"] == [] and report["freed"] == {"runs": 0, "files": 0, "bytes": 0}
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    (temp,) = [p for p in (root / "d/r/n").iterdir() if p.name.endswith(".tmp")]
    size = temp.stat().st_size
    os.utime(root / "d/r/other/_.pkl")  # a young run now: it stays, but the dead writer's temp goes
    report = _gc(capsys, "--older-than", "30d", "--store-url", str(root), "--yes")
    assert [r["decision"] for r in report["kept"]] == ["young"]
    assert report["temp_files"] == [str(temp)] and not temp.exists()
    assert report["freed"] == {"runs": 0, "files": 1, "bytes": size}
    assert store.get("d/r/other/_.pkl") == "written before"


def test_a_dead_writers_temp_in_an_old_run_goes_with_the_run(tmp_path: Path, capsys) -> None:
    root = tmp_path / "store"
    writer = _start_writer(root, tmp_path)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    _age(root)
    before = _files(root)
    assert any(name.endswith(".tmp") for name in before)
    report = _gc(capsys, "--older-than", "30d", "--store-url", str(root), "--yes")
    assert report["freed"] == {"runs": 1, "files": len(before), "bytes": sum(before.values())}
    assert _files(root) == {}


def test_another_machines_temp_file_goes_once_untouched_for_the_stores_temp_age(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path, temp_max_age=3600)
    store.put("d/r/n/_.pkl", 1)
    elsewhere = tmp_path / "d/r/n" / f".x.0123456789ab.4242.{uuid.uuid4().hex}.tmp"
    elsewhere.write_bytes(b"half an artifact")
    assert collect_garbage(store, 30 * DAY, dry_run=False).temp_files == []  # written just now: maybe live
    os.utime(elsewhere, (time.time() - 7200, time.time() - 7200))
    report = collect_garbage(store, 30 * DAY, dry_run=False)
    assert report.temp_files == [str(elsewhere)] and report.temp_bytes == len(b"half an artifact")
    assert store.get("d/r/n/_.pkl") == 1 and not elsewhere.exists()


def test_gc_stays_in_its_namespace_and_in_its_dag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stores = {ns: ArtifactStore(tmp_path, namespace=ns) for ns in ("", "blue", "green")}
    for ns, store in stores.items():
        _write_run(store, "etl", f"run-{ns or 'root'}")
        _write_run(store, "other", f"run-{ns or 'root'}")
    _age(tmp_path)
    before = _files(tmp_path)

    report = _gc(
        capsys, "--older-than", "30d", "--store-url", str(tmp_path), "--namespace", "blue", "--dag", "etl", "--yes"
    )
    assert [(r["dag_id"], r["run_id"]) for r in report["collected"]] == [("etl", "run-blue")]
    assert report["namespace"] == "blue"
    assert set(before) - set(_files(tmp_path)) == {f"ns=blue/etl/run-blue/node{n}/_.pkl" for n in range(3)}

    # the namespace of the environment, as every task uses it
    os.environ["HAMILFLOW_STORE_NAMESPACE"] = "green"
    try:
        report = _gc(capsys, "--older-than", "30d", "--store-url", str(tmp_path), "--yes")
    finally:
        del os.environ["HAMILFLOW_STORE_NAMESPACE"]
    assert sorted(r["dag_id"] for r in report["collected"]) == ["etl", "other"]
    # no namespace: the deployment without one, never the ns=... folders of the others
    report = _gc(capsys, "--older-than", "30d", "--store-url", str(tmp_path), "--yes")
    assert sorted((r["dag_id"], r["run_id"]) for r in report["collected"]) == [
        ("etl", "run-root"),
        ("other", "run-root"),
    ]
    assert sorted(_files(tmp_path)) == sorted(f"ns=blue/other/run-blue/node{n}/_.pkl" for n in range(3))


def test_a_long_run_id_stored_under_a_shortened_name_is_collected(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)
    run = "backfill__" + ":" * 200
    _write_run(store, "etl", run, nodes=1)
    _age(tmp_path)
    report = collect_garbage(store, 30 * DAY, dry_run=False)
    ((collected,),) = [report.collected]
    assert "~" in collected.run_id and collected.files == 1  # reported as stored: the name is a hash
    assert _files(tmp_path) == {}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--older-than", "30 days"], "--older-than '30 days' is not a duration"),
        (["--older-than", "30"], "write a number and a unit"),
        (["--older-than", "30d", "--store-url", "{missing}"], "there is no artifact store at"),
    ],
)
def test_a_wrong_option_is_one_paragraph_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    argv = [arg.replace("{missing}", str(tmp_path / "nowhere")) for arg in argv]
    assert main(["gc", "--no-airflow", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1


def test_durations() -> None:
    assert parse_duration("30d") == 30 * DAY
    assert parse_duration("12h") == 12 * 3600
    assert parse_duration("1w2d3h4m5s") == 9 * DAY + 3 * 3600 + 4 * 60 + 5
    assert parse_duration("1.5h") == 5400
    with pytest.raises(SettingError):
        parse_duration("-1d")


def test_airflow_is_asked_only_where_an_airflow_is_configured(tmp_path: Path, capsys) -> None:
    ArtifactStore(tmp_path).put("d/r/n/_.pkl", 1)
    assert main(["gc", "--older-than", "1d", "--store-url", str(tmp_path)]) == 0
    assert "Airflow not asked" in capsys.readouterr().out


def test_an_airflow_whose_database_cannot_be_read_is_one_paragraph(tmp_path: Path) -> None:
    pytest.importorskip("airflow", reason="needs the airflow extra")
    ArtifactStore(tmp_path / "store").put("d/r/n/_.pkl", 1)
    home = tmp_path / "airflow"  # an Airflow home whose database was never created
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HAMILFLOW_"))},
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'never-migrated.db'}",
    }
    argv = [sys.executable, "-m", "hamilflow.cli", "gc", "--older-than", "0s", "--store-url", str(tmp_path / "store")]
    done = subprocess.run([*argv, "--yes"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: cannot read the Airflow metadata database") and "--no-airflow" in done.stderr
    assert "Traceback" not in done.stderr
    assert ArtifactStore(tmp_path / "store").exists("d/r/n/_.pkl")  # nothing removed without the answer


# --------------------------------------------------------------------------- S3 (moto on loopback)
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_bucket() -> Iterator[str]:
    """A bucket on a real S3-compatible server (moto in server mode) on a free loopback port, for this module."""
    pytest.importorskip("s3fs", reason="the S3 store needs s3fs (the distributed extra)")
    server_module = pytest.importorskip("moto.server", reason="needs moto[server] (the dev extra)")
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    patch = pytest.MonkeyPatch()
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    patch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{port}")
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    bucket = f"gc-{uuid.uuid4().hex[:12]}"
    s3fs.S3FileSystem().mkdir(bucket)
    try:
        yield bucket
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
        patch.undo()
        server.stop()


def _objects(store: ArtifactStore) -> dict[str, tuple[int, float]]:
    """Every object under the store's root (key -> size, LastModified), listed afresh."""
    store._fs.invalidate_cache()
    if not store._fs.exists(store._root):
        return {}
    return {
        path: (info["size"], info["LastModified"].timestamp())
        for path, info in store._fs.find(store._root, detail=True).items()
    }


def test_s3_old_runs_go_young_and_running_ones_stay_and_a_dry_run_deletes_nothing(s3_bucket: str) -> None:
    store = ArtifactStore(f"s3://{s3_bucket}/age-{uuid.uuid4().hex[:8]}")
    _write_run(store, "etl", "old", items=2)
    _write_run(store, "etl", "running")
    old_newest = max(modified for _, modified in _objects(store).values())
    while True:  # S3 keeps LastModified to the second: the young run is written in a later second
        _write_run(store, "etl", "young")
        objects = _objects(store)
        young = [modified for key, (_, modified) in objects.items() if "/young/" in key]
        if min(young) > old_newest:
            break
        time.sleep(0.2)
    now = max(young)
    older_than = (now - old_newest) / 2  # the cutoff falls between the old runs and the young one
    running = {("etl", "running")}

    dry = collect_garbage(store, older_than, now=now, running=running, airflow_checked=True)
    assert _objects(store) == objects  # nothing deleted
    real = collect_garbage(store, older_than, now=now, running=running, dry_run=False)

    removed = {key: size for key, (size, _) in objects.items() if key not in _objects(store)}
    assert sorted(removed) == sorted(key for key in objects if "/old/" in key) and len(removed) == 5
    assert (dry.freed_files, dry.freed_bytes) == (real.freed_files, real.freed_bytes) == (5, sum(removed.values()))
    assert [(run.run_id, run.decision) for run in real.kept] == [("running", "running"), ("young", "young")]
    assert store.get(store.ref("etl", "young", "node1")) == list(range(200))
    assert store.list_run("etl", "old") == []


def test_s3_gc_from_the_command_line_in_a_namespace(s3_bucket: str, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"s3://{s3_bucket}/cli-{uuid.uuid4().hex[:8]}"
    blue, other = ArtifactStore(url, namespace="blue"), ArtifactStore(url)
    _write_run(blue, "etl", "scheduled__2024-01-01T00:00:00+00:00", items=3)
    _write_run(other, "etl", "scheduled__2024-01-01T00:00:00+00:00")
    objects = _objects(other)
    blue_objects = {key: size for key, (size, _) in objects.items() if "/ns=blue/" in key}

    dry = _gc(capsys, "--older-than", "0s", "--store-url", url, "--namespace", "blue")
    assert _objects(other) == objects
    real = _gc(capsys, "--older-than", "0s", "--store-url", url, "--namespace", "blue", "--yes")
    assert dry["freed"] == real["freed"] == {"runs": 1, "files": 6, "bytes": sum(blue_objects.values())}
    assert real["collected"][0]["run_id"] == "scheduled__2024-01-01T00:00:00+00:00"
    left = _objects(other)
    assert sorted(left) == sorted(key for key in objects if key not in blue_objects) and len(left) == 3
