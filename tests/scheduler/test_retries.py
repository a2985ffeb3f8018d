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
