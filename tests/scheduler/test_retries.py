"""Retries: examples/flaky fails on each mapped task's first try, and its ``airflow_retries`` tag saves the run."""

from __future__ import annotations

import uuid

import pytest

from tests.scheduler.pipelines import local_outputs, run_files, store_outputs, temp_files

pytestmark = [pytest.mark.scheduler, pytest.mark.slow]


def test_a_task_that_fails_once_succeeds_on_retry_with_clean_outputs(airflow_server, tmp_path):
    airflow_server.unpause("flaky")
    tag = uuid.uuid4().hex[:8]
    flaky_run = airflow_server.trigger(
        "flaky", conf={"marker_dir": str(tmp_path / "markers"), "shards": 3}, run_id=f"flaky_{tag}"
    )
    clean_run = airflow_server.trigger(
        "flaky",
        conf={"marker_dir": str(tmp_path / "unused"), "shards": 3, "fail_first_try": False},
        run_id=f"clean_{tag}",
    )
    for run_id in (flaky_run, clean_run):
        assert airflow_server.wait_for_run("flaky", run_id)["state"] == "success", airflow_server.describe(
            "flaky", run_id
        )

    fetched = {
        t["map_index"]: t for t in airflow_server.task_instances("flaky", flaky_run) if t["task_id"] == "fetched"
    }
    assert sorted(fetched) == [0, 1, 2]
    assert all(t["try_number"] == 2 for t in fetched.values()), airflow_server.describe("flaky", flaky_run)
    assert len(list((tmp_path / "markers").glob("*.tried"))) == 3  # every shard really failed once
    assert not (tmp_path / "unused").exists()

    clean = local_outputs("flaky", {"run_id": "local", "shards": 3, "fail_first_try": False})
    assert store_outputs(airflow_server.store, "flaky", flaky_run) == clean
    assert store_outputs(airflow_server.store, "flaky", clean_run) == clean
    assert run_files(airflow_server.store, "flaky", flaky_run) == run_files(airflow_server.store, "flaky", clean_run)
    assert not temp_files(airflow_server.store)


def test_a_retried_chunk_runs_again_whole_and_its_results_are_not_duplicated(airflow_server, tmp_path):
    # flaky's shards packed two per instance: each try fails at the next shard that has not failed yet
    from hamilflow.compiler import compile_pipeline, embedded_options
    from hamilflow.runtime.store import ArtifactStore
    from hamilflow.runtime.task import read_outputs
    from tests.scheduler.pipelines import REPO

    options = embedded_options(REPO / "airflow_dags" / "flaky.py")
    options.dag_id, options.items_per_task = "flaky_packed", 2
    options.output = str(airflow_server.dags / "flaky_packed.py")
    compiled = compile_pipeline(options)
    compiled.write()
    airflow_server.unpause("flaky_packed")
    tag = uuid.uuid4().hex[:8]
    conf = {"marker_dir": str(tmp_path / "markers"), "shards": 3}
    flaky_run = airflow_server.trigger("flaky_packed", conf=conf, run_id=f"flaky_{tag}")
    clean_run = airflow_server.trigger("flaky_packed", conf={**conf, "fail_first_try": False}, run_id=f"clean_{tag}")
    for run_id in (flaky_run, clean_run):
        run = airflow_server.wait_for_run("flaky_packed", run_id)
        assert run["state"] == "success", airflow_server.describe("flaky_packed", run_id)

    tis = airflow_server.task_instances("flaky_packed", flaky_run)
    fetched = {t["map_index"]: t for t in tis if t["task_id"] == "fetched"}
    assert sorted(fetched) == [0, 1]  # shards (0, 1) and (2,)
    assert fetched[0]["try_number"] == 3 and fetched[1]["try_number"] == 2, airflow_server.describe(
        "flaky_packed", flaky_run
    )
    assert fetched[0]["rendered_map_index"] == "2 items: shard=0 … shard=1"
    assert len(list((tmp_path / "markers").glob("*.tried"))) == 3

    store = ArtifactStore(airflow_server.store)
    clean = local_outputs("flaky", {"run_id": "local", "shards": 3, "fail_first_try": False})
    assert read_outputs(compiled.spec, flaky_run, store) == clean == read_outputs(compiled.spec, clean_run, store)
    files = run_files(airflow_server.store, "flaky_packed", flaky_run)
    assert files == run_files(airflow_server.store, "flaky_packed", clean_run)
    assert [f for f in files if f.startswith("fetched/")] == ["fetched/0.pkl", "fetched/1.pkl", "fetched/2.pkl"]
    assert not temp_files(airflow_server.store)
