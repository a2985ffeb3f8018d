"""A backfill of ``features`` over three past days: three runs, each computed from its own data interval."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest

from tests.scheduler.conftest import iso
from tests.scheduler.pipelines import local_outputs, parse_time, run_folder, store_outputs, temp_files

pytestmark = [pytest.mark.scheduler, pytest.mark.slow]

DAYS = [datetime.datetime(2024, 3, d, tzinfo=datetime.timezone.utc) for d in (1, 2, 3)]


def test_backfill_computes_each_day_from_its_own_interval(airflow_server):
    airflow_server.wait_for_dag("features")
    backfill = airflow_server.api(
        "POST",
        "/backfills",
        json={"dag_id": "features", "from_date": iso(DAYS[0]), "to_date": iso(DAYS[-1]), "max_active_runs": 3},
    )
    airflow_server.unpause("features")  # the scheduler queues no task of a paused DAG, backfills included

    def backfill_runs() -> list[dict]:
        runs = airflow_server.api("GET", "/dags/features/dagRuns", params={"limit": 100})["dag_runs"]
        return [r for r in runs if r["run_type"] == "backfill"]

    airflow_server.wait_until(
        lambda: len(backfill_runs()) == len(DAYS) and all(r["state"] in ("success", "failed") for r in backfill_runs()),
        f"backfill {backfill['id']} of features to finish three runs",
    )
    runs = sorted(backfill_runs(), key=lambda r: r["data_interval_start"])
    for run in runs:
        assert run["state"] == "success", airflow_server.describe("features", run["dag_run_id"])
    assert [parse_time(r["data_interval_start"]) for r in runs] == DAYS

    tables = []
    for run, day in zip(runs, DAYS):
        got = store_outputs(airflow_server.store, "features", run["dag_run_id"])["features"]
        expected = local_outputs("features", {"data_interval_start": day})["features"]
        pd.testing.assert_frame_equal(got, expected)
        assert (got["day"] == pd.Timestamp(day.date())).all()
        tables.append(got)
    folders = {run_folder(airflow_server.store, "features", r["dag_run_id"]) for r in runs}
    assert len(folders) == 3 and all(f.is_dir() for f in folders)
    assert not tables[0].equals(tables[1]) and not tables[1].equals(tables[2]) and not tables[0].equals(tables[2])
    assert not temp_files(airflow_server.store)
