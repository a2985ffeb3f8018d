"""Two compiled DAGs chained by an Asset on a real scheduler: daily_orders publishes, orders_report follows."""

from __future__ import annotations

import time

import pytest

from tests.scheduler.conftest import AirflowError, AirflowServer
from tests.scheduler.pipelines import store_outputs

pytestmark = [pytest.mark.airflow, pytest.mark.scheduler, pytest.mark.slow]

ASSET = "file:///tmp/hamilflow-warehouse/daily_orders"


def _asset_events(server: AirflowServer, path: str, **params: str) -> list[dict]:
    """The asset events at ``path``. Airflow 3.3 answers 500 while a run an event created is still queued (the
    run's null start_date fails its own response model), so a 500 is asked again until that run has started."""
    deadline = time.monotonic() + 120
    while True:
        try:
            return server.api("GET", path, params=params)["asset_events"]
        except AirflowError as error:
            if ": 500 " not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(2)


def test_a_publication_of_daily_orders_runs_orders_report(airflow_server) -> None:
    airflow_server.unpause("orders_report")
    airflow_server.unpause("daily_orders")
    produced = airflow_server.trigger("daily_orders")
    run = airflow_server.wait_for_run("daily_orders", produced)
    assert run["state"] == "success", airflow_server.describe("daily_orders", produced)

    events = _asset_events(airflow_server, "/assets/events", source_dag_id="daily_orders")
    ours = [e for e in events if e["source_run_id"] == produced]
    assert [(e["uri"], e["source_task_id"]) for e in ours] == [(ASSET, "published")]

    def consumer_run() -> str | None:  # the orders_report run that consumed our run's event
        runs = airflow_server.api("GET", "/dags/orders_report/dagRuns")["dag_runs"]
        for candidate in runs:
            path = f"/dags/orders_report/dagRuns/{candidate['dag_run_id']}/upstreamAssetEvents"
            consumed = _asset_events(airflow_server, path)
            if any(e["source_run_id"] == produced for e in consumed):
                assert candidate["run_type"] == "asset_triggered"
                return candidate["dag_run_id"]
        return None

    airflow_server.wait_until(lambda: consumer_run() is not None, "an orders_report run after the publication")
    report_run = consumer_run()
    run = airflow_server.wait_for_run("orders_report", report_run)
    assert run["state"] == "success", airflow_server.describe("orders_report", report_run)
    day = store_outputs(airflow_server.store, "daily_orders", produced)["published"].rsplit("/", 1)[1][:-5]
    report = store_outputs(airflow_server.store, "orders_report", report_run)["report"]
    assert report.startswith("revenue over ") and day in report
