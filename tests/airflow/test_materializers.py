"""On real Airflow (dag.test()): materializers named by the DAG's settings load its input and save its outputs,
each saver a task of its own that reports where it wrote; the files equal Driver.materialize's."""

from __future__ import annotations

import importlib
import json

import pandas as pd
import pytest

from hamilflow import driver

pytestmark = pytest.mark.airflow

SAVING = "tests.resources.airflow.saving"
SAVING_IO = "tests.resources.airflow.saving_io:materializers"


def test_savers_run_as_tasks_and_write_what_driver_materialize_writes(compile_dag, run_dag, tmp_path, monkeypatch):
    data, out, reference = tmp_path / "data", tmp_path / "out", tmp_path / "reference"
    for folder in (data, out, reference):
        folder.mkdir()
    pd.DataFrame({"a": [1.0, None, 3.0], "b": [1.0, 2.0, 3.0]}).to_csv(data / "raw.csv", index=False)
    monkeypatch.setenv("HAMILFLOW_TEST_DATA", str(data))
    monkeypatch.setenv("HAMILFLOW_TEST_OUT", str(out))
    path = compile_dag(SAVING, "saving_dag", materializers=[SAVING_IO])
    result = run_dag(path)
    assert {t.task_id for t in result.tasks} >= {"features_parquet", "summary_json"}
    assert result.outputs["summary_json"]["file_metadata"]["path"] == str(out / "summary.json")

    monkeypatch.setenv("HAMILFLOW_TEST_OUT", str(reference))
    io = importlib.import_module(SAVING_IO.split(":")[0])
    driver.Builder().with_modules(importlib.import_module(SAVING)).build().materialize(*io.materializers())
    pd.testing.assert_frame_equal(
        pd.read_parquet(out / "features.parquet"), pd.read_parquet(reference / "features.parquet")
    )
    assert json.loads((out / "summary.json").read_text()) == json.loads((reference / "summary.json").read_text())
