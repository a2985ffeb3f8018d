"""Every example on a CeleryExecutor deployment with two workers and the artifact store on S3.

All runs are triggered at once (so both workers are busy) and each is compared with the local
Driver: nested blocks (``nested``), a retry that saves the run (``flaky``), an Airflow context
input (``features``), two runs of one DAG with different inputs (``word_count``), whose objects
on S3 must not mix, and the three wide examples (Hamilton's decorators, 18 to 28 tasks each)
compiled into a few tasks each, since each task instance costs an interpreter start and the
suite has a 5-minute budget on 2 cores (their one-task-per-node DAGs run in tests/scheduler/
and tests/airflow/). The task instances must
have run on both workers, and nothing may have been written to a worker's local disk but its
own plan cache. (The one local folder both workers see is ``flaky``'s marker folder: the test's
way to fail each shard's first try once, whichever worker runs the retry.)
"""

from __future__ import annotations

import contextlib
import datetime
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest

from hamilflow.compiler import compile_pipeline, embedded_options
from hamilflow.runtime.spec import PipelineSpec
from hamilflow.runtime.store import ArtifactStore
from hamilflow.runtime.task import read_outputs
from tests.differential.harness import assert_same_results
from tests.distributed.cluster import BUCKET, WORKERS, CeleryCluster
from tests.scheduler.pipelines import REPO, dag_spec, local_outputs, parse_time

pytestmark = [pytest.mark.distributed, pytest.mark.airflow, pytest.mark.slow]

RUN_TIMEOUT = 600.0  # seconds a run may take on a loaded 2-core machine (a few dozen task processes per run)
REGIONS = ("north", "south")  # nested's outer items (two, not the default three: fewer task processes)
FEATURES_DAY = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)


WHOLE = ("data_quality", "regional_models", "sales_by_region")  # wide examples, compiled into a few tasks here


def _compile_whole(cluster: CeleryCluster) -> dict[str, PipelineSpec]:
    """The wide examples (18 to 28 tasks each) compiled with ``grouping="all"`` into the cluster's DAGs folder,
    as ``<example>_whole``: their decorators run on the workers without 70 task processes on 2 cores."""
    specs = {}
    for example in WHOLE:
        options = embedded_options(REPO / "airflow_dags" / f"{example}.py")
        options.dag_id, options.grouping = f"{example}_whole", "all"
        options.output = str(cluster.dags / f"{options.dag_id}.py")
        compiled = compile_pipeline(options)
        compiled.write()
        specs[options.dag_id] = compiled.spec
    return specs


def _runs_to_trigger(marker_dir: Path) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """run id -> (dag id, the run's conf, extra fields of the trigger request)."""
    tag = uuid.uuid4().hex[:8]
    return {
        f"classics_{tag}": ("word_count", {"corpus": "classics"}, {}),
        f"empty_{tag}": ("word_count", {"corpus": "empty"}, {}),
        f"nested_{tag}": ("nested", {"regions": list(REGIONS)}, {}),
        f"flaky_{tag}": ("flaky", {"marker_dir": str(marker_dir), "shards": 2}, {}),
        f"features_{tag}": ("features", {}, {"logical_date": FEATURES_DAY.isoformat()}),
        **{f"{example}_{tag}": (f"{example}_whole", {}, {}) for example in WHOLE},
    }


@pytest.fixture(scope="module")
def runs(cluster: CeleryCluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every example triggered at once and finished: run id -> {dag_id, example, spec, conf, run (the API's record)}."""
    specs = {dag_id: dag_spec(dag_id) for dag_id in ("word_count", "nested", "flaky", "features")}
    specs.update(_compile_whole(cluster))
    wanted = _runs_to_trigger(tmp_path_factory.mktemp("flaky-markers"))
    for dag_id in {dag for dag, _, _ in wanted.values()}:
        cluster.unpause(dag_id)
    for run_id, (dag_id, conf, body) in wanted.items():
        cluster.trigger(dag_id, conf=conf, run_id=run_id, **body)
    return {
        run_id: {
            "dag_id": dag_id,
            "example": dag_id.removesuffix("_whole"),
            "spec": specs[dag_id],
            "conf": conf,
            "run": cluster.wait_for_run(dag_id, run_id, timeout=RUN_TIMEOUT),
        }
        for run_id, (dag_id, conf, _) in wanted.items()
    }


def _store(cluster: CeleryCluster) -> ArtifactStore:
    return ArtifactStore(cluster.store_url, secret=cluster.secret)


def _driver_inputs(found: dict[str, Any]) -> dict[str, Any]:
    """What the local Driver needs to compute what the run computed."""
    inputs = {k: v for k, v in found["conf"].items() if k != "marker_dir"}
    if found["example"] == "flaky":
        inputs.update(run_id="local", fail_first_try=False)  # the clean result the retry must reach
    if found["example"] == "features":
        inputs["data_interval_start"] = parse_time(found["run"]["data_interval_start"])
    return inputs


def test_every_example_on_celery_workers_and_s3_equals_the_driver(cluster, runs):
    for run_id, found in runs.items():
        dag_id = found["dag_id"]
        assert found["run"]["state"] == "success", f"{run_id}: {cluster.describe(dag_id, run_id)}"
        stored = read_outputs(found["spec"], run_id, _store(cluster))
        assert_same_results(local_outputs(found["example"], _driver_inputs(found)), stored)
    features = next(f for f in runs.values() if f["dag_id"] == "features")
    assert parse_time(features["run"]["data_interval_start"]) == FEATURES_DAY


def test_task_instances_ran_on_both_workers_and_nowhere_else(cluster, runs):
    hosts: dict[str, list[str]] = {}
    for run_id, found in runs.items():
        for ti in cluster.task_instances(found["dag_id"], run_id):
            where = f"{run_id}.{ti['task_id']}[{ti['map_index']}]={ti['state']}"
            if ti["state"] == "skipped":  # a mapped task over no items (the empty corpus): nothing ran
                assert not ti["hostname"], where
                continue
            assert ti["state"] == "success", where
            hosts.setdefault(ti["hostname"], []).append(where)
    assert set(hosts) == set(WORKERS), hosts


def test_a_failed_first_try_is_retried_on_celery_and_reaches_the_clean_result(cluster, runs):
    (run_id,) = [r for r, found in runs.items() if found["dag_id"] == "flaky"]
    fetched = [t for t in cluster.task_instances("flaky", run_id) if t["task_id"] == "fetched"]
    assert sorted(t["map_index"] for t in fetched) == [0, 1]
    assert all(t["try_number"] == 2 for t in fetched), cluster.describe("flaky", run_id)
    marker_dir = Path(runs[run_id]["conf"]["marker_dir"])
    assert len(list(marker_dir.glob("*.tried"))) == 2  # every shard really failed once


def test_nested_blocks_are_flattened_into_mapped_tasks_on_celery(cluster, runs):
    (run_id,) = [r for r, found in runs.items() if found["dag_id"] == "nested"]
    instances: dict[str, list[int]] = {}
    for ti in cluster.task_instances("nested", run_id):
        instances.setdefault(ti["task_id"], []).append(ti["map_index"])
    # the inner expander and the inner collector run once per region; the stores' sales over (region, store) pairs
    assert sorted(instances["store"]) == sorted(instances["region_total__region_line"]) == list(range(len(REGIONS)))
    assert min(instances["store_sales"]) == 0 and instances["report"] == [-1], instances


def test_two_runs_of_one_dag_keep_apart_on_s3(cluster, runs):
    store = _store(cluster)
    word_runs = [r for r, found in runs.items() if found["dag_id"] == "word_count"]
    refs = {run_id: set(store.list_run("word_count", run_id)) for run_id in word_runs}
    classics, empty = (refs[r] for r in sorted(word_runs))  # "classics_..." sorts before "empty_..."
    assert any(ref.split("/")[2] == "counts" for ref in classics)
    assert not any(ref.split("/")[2] == "counts" for ref in empty)  # an empty corpus has no documents
    assert classics and empty and not classics & empty


def test_workers_wrote_nothing_to_local_disk_but_their_own_plan_cache(cluster, runs):
    for name in WORKERS:
        folder = cluster.root / name
        assert any((folder / "plans").iterdir()), f"{name} never used its own plan cache: did it run tasks?"
        # no metadata DB is configured on a worker: Airflow's default SQLite file in its home must stay empty
        default_db = folder / "home" / "airflow.db"
        if default_db.exists():
            with contextlib.closing(sqlite3.connect(default_db)) as db:
                assert db.execute("select name from sqlite_master").fetchall() == [], f"{name} used a metadata DB"
    local_artifacts = [p for p in cluster.root.rglob("*") if p.name in ("hamilflow-artifacts", ".hamilflow")]
    assert not local_artifacts, "artifacts went to a local folder instead of S3"
    objects = cluster.s3.filesystem().find(f"{BUCKET}/artifacts")
    assert {key.split("/")[2] for key in objects} == {found["dag_id"] for found in runs.values()}


def test_a_worker_refuses_an_artifact_changed_on_s3(cluster, runs):
    """Tamper with an upstream object of a finished run and rerun its reader: the task fails, unread."""
    (run_id,) = [r for r, found in runs.items() if found["dag_id"] == "word_count" and r.startswith("classics")]
    store = _store(cluster)
    (ref,) = [r for r in store.list_run("word_count", run_id) if r.endswith("/counts/0.pkl")]
    bucket_key = next(
        k for k in cluster.s3.filesystem().find(f"{BUCKET}/artifacts") if k.endswith(ref.split("/", 1)[1])
    )
    client = cluster.s3.client()
    bucket, key = bucket_key.split("/", 1)
    body = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    body[-1] ^= 0x01
    client.put_object(Bucket=bucket, Key=key, Body=bytes(body))

    cluster.api(
        "POST",
        "/dags/word_count/clearTaskInstances",
        json={"dag_run_id": run_id, "task_ids": ["total_words"], "only_failed": False, "dry_run": False},
    )

    def total_words_failed() -> bool:
        tis = [t for t in cluster.task_instances("word_count", run_id) if t["task_id"] == "total_words"]
        return tis[0]["try_number"] == 2 and tis[0]["state"] == "failed"

    cluster.wait_until(
        total_words_failed, f"the cleared total_words of {run_id} to fail on the changed object", timeout=RUN_TIMEOUT
    )
    # the task's log stays on the worker that ran it (its own AIRFLOW_HOME/logs)
    logs = [p for name in WORKERS for p in (cluster.root / name / "home" / "logs").rglob("attempt=2*.log")]
    logs = [p for p in logs if "task_id=total_words" in str(p) and run_id in str(p)]
    assert len(logs) == 1, logs
    assert "failed its checksum" in logs[0].read_text(errors="replace")
