"""Materializers named by a compiled DAG: loaders replace inputs and each saver is a task, as in Driver.materialize."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from hamilflow import driver
from hamilflow.compiler import CompileError
from hamilflow.runtime.task import read_outputs
from tests.test_runtime import _compile, _simulate

SAVING = "tests.resources.airflow.saving"
SAVING_IO = "tests.resources.airflow.saving_io:materializers"


@pytest.fixture
def folders(tmp_path, monkeypatch):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    out.mkdir()
    pd.DataFrame({"a": [1.0, 2.0, None, 4.0], "b": [10.0, 20.0, 30.0, 40.0]}).to_csv(data / "raw.csv", index=False)
    monkeypatch.setenv("HAMILFLOW_TEST_DATA", str(data))
    monkeypatch.setenv("HAMILFLOW_TEST_OUT", str(out))
    return data, out


def _driver_files(tmp_path, monkeypatch) -> tuple[dict, pd.DataFrame, dict]:
    """What Driver.materialize writes for the same materializers, in a folder of its own."""
    import importlib

    module, io = importlib.import_module(SAVING), importlib.import_module(SAVING_IO.split(":")[0])
    reference = tmp_path / "reference"
    reference.mkdir()
    monkeypatch.setenv("HAMILFLOW_TEST_OUT", str(reference))
    metadata, _ = driver.Builder().with_modules(module).build().materialize(*io.materializers())
    summary = json.loads((reference / "summary.json").read_text())
    return metadata, pd.read_parquet(reference / "features.parquet"), summary


def test_savers_are_tasks_whose_files_equal_driver_materialize(tmp_path, folders, monkeypatch) -> None:
    _, out = folders
    compiled = _compile(tmp_path, [SAVING], "saving", materializers=[SAVING_IO])
    assert set(compiled.spec.final_vars) == {"features_parquet", "summary_json"}
    assert {t.name for t in compiled.plan.tasks} >= {"features_parquet", "summary_json", "raw"}
    xcoms = _simulate(compiled, "run-1", {})
    assert xcoms["features_parquet"][0]["saved"] == {"features_parquet": str(out / "features.parquet")}
    assert xcoms["summary_json"][0]["saved"] == {"summary_json": str(out / "summary.json")}
    ours = (pd.read_parquet(out / "features.parquet"), json.loads((out / "summary.json").read_text()))
    metadata, frame, summary = _driver_files(tmp_path, monkeypatch)
    pd.testing.assert_frame_equal(ours[0], frame)
    assert ours[1] == summary == {"rows": 3, "total": 77.0}
    stored = read_outputs(compiled.spec, "run-1")
    assert stored["summary_json"]["file_metadata"]["path"] == str(out / "summary.json")
    assert set(stored) == set(metadata)


@pytest.mark.parametrize(
    ("path", "says"),
    [
        (f"{SAVING}:summary", "could not be called without arguments"),
        ("os:sep", "gives str, not materializers made by hamilton.io.materialization"),
        ("no_such_module:m", "module 'no_such_module' does not import"),
    ],
)
def test_a_materializer_path_that_names_something_else_is_refused_at_compile_time(tmp_path, folders, path, says):
    with pytest.raises(CompileError, match=says):
        _compile(tmp_path, [SAVING], "bad", materializers=[path])
