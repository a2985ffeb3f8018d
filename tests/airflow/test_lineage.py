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


def _lineage(tmp_path: Path, options: CompileOptions, **env: str) -> dict[str, tuple[list[str], list[str]]]:
    """Compile ``options`` and run the DAG with ``hamilflow airflow-test`` and the provider's file transport;
    return each task's reported ``(inputs, outputs)``, as ``namespace://name``, from its COMPLETE event."""
    dag = Path(options.output)
    compile_pipeline(options).write()
    events = tmp_path / "events.jsonl"
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "OPENLINEAGE"))}
    run_env.update(
        AIRFLOW__OPENLINEAGE__TRANSPORT=json.dumps({"type": "file", "log_file_path": str(events), "append": True}),
        PYTHONPATH=str(REPO),
        **env,
    )
    done = subprocess.run(
        [sys.executable, "-m", "hamilflow.cli", "airflow-test", str(dag), "--home", str(tmp_path / "home")],
        cwd=REPO,
        env=run_env,
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
    return completed


def test_each_task_reports_the_values_it_read_and_wrote_and_its_assets(tmp_path) -> None:
    store = tmp_path / "store"
    options = CompileOptions(
        modules=["examples.daily_orders.pipeline"],
        dag_id="lineage_orders",
        params={"warehouse": str(tmp_path / "warehouse")},
        output=str(tmp_path / "lineage_orders.py"),
    )
    completed = _lineage(tmp_path, options, HAMILFLOW_STORE_URL=str(store))

    value = f"file://{store}/lineage_orders"
    assert completed == {
        "orders": ([], [f"{value}/orders"]),
        "revenue_by_product": ([f"{value}/orders"], [f"{value}/revenue_by_product"]),
        "published": (
            [f"{value}/revenue_by_product"],
            sorted([f"{value}/published", "file:///tmp/hamilflow-warehouse/daily_orders"]),
        ),
    }


def test_materializers_report_the_files_they_load_as_inputs_and_the_files_they_save_as_outputs(
    tmp_path, monkeypatch
) -> None:
    import pandas as pd

    data, out, store = tmp_path / "data", tmp_path / "out", tmp_path / "store"
    data.mkdir()
    out.mkdir()
    pd.DataFrame({"a": [1.0, None, 3.0], "b": [1.0, 2.0, 3.0]}).to_csv(data / "raw.csv", index=False)
    env = {"HAMILFLOW_TEST_DATA": str(data), "HAMILFLOW_TEST_OUT": str(out), "HAMILFLOW_STORE_URL": str(store)}
    for name, setting in env.items():  # the compiler calls the materializers' factory too
        monkeypatch.setenv(name, setting)
    options = CompileOptions(
        modules=["tests.resources.airflow.saving"],
        dag_id="lineage_materialized",
        materializers=["tests.resources.airflow.saving_io:materializers"],
        output=str(tmp_path / "lineage_materialized.py"),
    )
    completed = _lineage(tmp_path, options, **env)

    value = f"file://{store}/lineage_materialized"
    loads = [task for task, (inputs, _) in completed.items() if f"file://{data}/raw.csv" in inputs]
    assert loads == ["load_data.raw"], completed  # the from_.csv loader: its file is the task's input
    assert completed["features_parquet"] == (
        [f"{value}/features"],
        sorted([f"{value}/features_parquet", f"file://{out}/features.parquet"]),
    )
    assert completed["summary_json"] == (
        [f"{value}/summary"],
        sorted([f"{value}/summary_json", f"file://{out}/summary.json"]),
    )


def test_load_from_and_save_to_report_files_named_by_the_dags_params(tmp_path) -> None:
    readings = REPO / "examples" / "csv_validate_parquet" / "readings.csv"
    summary, store = tmp_path / "summary.parquet", tmp_path / "store"
    options = CompileOptions(
        modules=["examples.csv_validate_parquet.pipeline"],
        dag_id="lineage_weather",
        params={"readings_file": str(readings), "summary_file": str(summary)},
        output=str(tmp_path / "lineage_weather.py"),
    )
    completed = _lineage(tmp_path, options, HAMILFLOW_STORE_URL=str(store))

    value = f"file://{store}/lineage_weather"
    # @load_from.csv(path=source("readings_file")): the file the param names is what the loader read
    assert completed["readings.load_data.raw"] == ([f"file://{readings}"], [f"{value}/readings.load_data.raw"])
    # @save_to.parquet(path=source("summary_file")): no Asset at compile time, the file written at run time
    assert completed["saved_summary"] == (
        [f"{value}/summary"],
        sorted([f"{value}/saved_summary", f"file://{summary}"]),
    )
