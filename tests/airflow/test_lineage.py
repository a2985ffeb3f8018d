"""OpenLineage, with the Airflow provider's file transport: each task reports what it read and wrote.

Run in a process of its own (``hamilflow airflow-test``), since the provider reads its transport
when Airflow loads its plugins, once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from hamilflow.compiler import CompileOptions, compile_pipeline

try:  # by its distribution: importing it would import Airflow before the session's embedded Airflow is set up
    metadata.version("apache-airflow-providers-openlineage")
except metadata.PackageNotFoundError:
    pytest.skip("the OpenLineage provider is not installed: pip install '.[lineage]'", allow_module_level=True)
pytestmark = pytest.mark.airflow

REPO = Path(__file__).resolve().parents[2]


def test_each_task_reports_the_values_it_read_and_wrote_and_its_assets(tmp_path) -> None:
    dag = tmp_path / "lineage_orders.py"
    options = CompileOptions(
        modules=["examples.daily_orders.pipeline"],
        dag_id="lineage_orders",
        params={"warehouse": str(tmp_path / "warehouse")},
        output=str(dag),
    )
    compile_pipeline(options).write()
    events, store = tmp_path / "events.jsonl", tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENLINEAGE"))}
    env.update(
        AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps({"type": "file", "log_file_path": str(events), "append": True}),
        HAMILFLOW_STORE_URL=str(store),
        PYTHONPATH=str(REPO),
    )
    done = subprocess.run(
        [sys.executable, "-m", "hamilflow.cli", "airflow-test", str(dag), "--home", str(tmp_path / "home")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    def names(datasets: list[dict]) -> list[str]:
        return sorted(f"{d['namespace']}://{d['name']}" for d in datasets)

    completed = {}
    for line in events.read_text().splitlines():
        event = json.loads(line)
        if event["eventType"] == "COMPLETE" and "." in event["job"]["name"]:
            completed[event["job"]["name"].split(".", 1)[1]] = (names(event["inputs"]), names(event["outputs"]))
    value = f"file://{store}/lineage_orders"
    assert completed == {
        "orders": ([], [f"{value}/orders"]),
        "revenue_by_product": ([f"{value}/orders"], [f"{value}/revenue_by_product"]),
        "published": (
            [f"{value}/revenue_by_product"],
            sorted([f"{value}/published", "file:///tmp/hamilflow-warehouse/daily_orders"]),
        ),
    }
