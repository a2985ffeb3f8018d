"""Lifecycle adapters, loaders and savers inside compiled Airflow tasks, against Apache Hamilton (``dag.test()``).

The DAG files run on the session's embedded Airflow (``tests/airflow_fixtures.py``): the two
examples' committed DAG files, and DAGs compiled here. A compiled DAG names its adapters and
materializers by import path (``compile --adapter``, ``--materializer``); every task runs with
the adapters, so a recorder's calls are written by the task that ran each node and read back
from a file, and each saver is a task whose files are compared with the ones Hamilton writes.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd
import pytest

from tests.airflow_fixtures import REPO
from tests.differential import harness as corpus
from tests.differential.adapters import harness, recorders
from tests.differential.io import harness as io_harness

pytestmark = pytest.mark.airflow

GRACEFUL = "examples.graceful_parallel.pipeline"
CSV = "examples.csv_validate_parquet.pipeline"


# The session's embedded Airflow, prepared before the first test of this module runs.
@pytest.fixture(autouse=True)
def _embedded_airflow(airflow_home: Path) -> Path:
    return airflow_home


def test_graceful_parallel_dag_reports_the_failed_cities_as_hamilton_does(run_dag) -> None:
    """Each task runs with the GracefulErrorAdapter the DAG was compiled with: the unavailable cities'
    mapped instances succeed with None, the collector sees every city, and the DAG run succeeds."""
    from hamilton import driver as hamilton_driver

    pipeline = importlib.import_module(GRACEFUL)
    expected = (
        hamilton_driver.Builder()
        .with_modules(pipeline)
        .with_adapters(*pipeline.graceful_errors())
        .enable_dynamic_execution(allow_experimental_mode=True)
        .build()
        .execute(["report"])
    )
    result = run_dag(REPO / "airflow_dags" / "graceful_parallel.py")

    assert result.outputs == expected and expected["report"]["missing"] == 2
    assert {t.state for t in result.tasks} == {"success"}


def test_csv_validate_parquet_dag_writes_the_file_hamilton_writes(run_dag, tmp_path) -> None:
    """The saver is a task of its own; the Parquet file it writes has Hamilton's bytes."""
    from hamilton import driver as hamilton_driver

    inputs = {"readings_file": str(REPO / "examples/csv_validate_parquet/readings.csv")}
    outputs = ["saved_summary", "summary", "temperature_c_range_validator", "humidity_pct_range_validator"]
    (tmp_path / "hamilton").mkdir()
    (tmp_path / "airflow").mkdir()
    dr = hamilton_driver.Builder().with_modules(importlib.import_module(CSV)).build()
    expected = dr.execute(outputs, inputs={**inputs, "summary_file": str(tmp_path / "hamilton" / "s.parquet")})

    result = run_dag(
        REPO / "airflow_dags" / "csv_validate_parquet.py",
        run_conf={**inputs, "summary_file": str(tmp_path / "airflow" / "s.parquet")},
    )

    got = dict(result.outputs)
    pd.testing.assert_frame_equal(got.pop("summary"), expected.pop("summary"))
    assert io_harness.normalised(got, tmp_path / "airflow") == io_harness.normalised(expected, tmp_path / "hamilton")
    assert (tmp_path / "airflow" / "s.parquet").read_bytes() == (tmp_path / "hamilton" / "s.parquet").read_bytes()
    assert [t.state for t in result.instances("saved_summary")] == ["success"]


@pytest.mark.parametrize("name", ["parallel_mutate_in_block"])  # a block, @mutate steps: one DAG run is enough
def test_node_hooks_inside_tasks_receive_the_calls_hamilton_makes(compile_dag, run_dag, tmp_path, monkeypatch, name):
    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "airflow.jsonl"
    expected = harness.corpus_run("hamilton", name, [recorders.NodeRecorder(theirs)])
    module = corpus.fresh_module(corpus.PIPELINES, name)
    outputs, inputs, _ = corpus.settings(module)
    monkeypatch.setenv("HAMILFLOW_DIFF_HOOK_LOG", str(ours))
    path = compile_dag(
        module.__name__,
        f"hooks_{name}",
        final_vars=outputs,
        params=inputs,
        adapters=["tests.differential.adapters.recorders:node_recorder_from_env"],
    )

    result = run_dag(path)

    assert ("result", result.outputs) == expected
    calls = recorders.per_node(recorders.read(ours, "node"))
    assert calls == recorders.per_node(recorders.read(theirs, "node"))


@pytest.mark.parametrize("name", ["from_csv_to_parquet", "custom_loader_and_saver"])
def test_compiled_materializers_write_what_hamilton_materialize_writes(
    compile_dag, run_dag, tmp_path, monkeypatch, name
):
    """An I/O corpus pipeline compiled with its ``to.*``/``from_.*`` materializers (``--materializer``): each
    saver is a task, and the DAG returns Hamilton's values and metadata and writes Hamilton's files (a pickle
    of a frame compared by content: values travel between tasks pickled, see tests/differential/io/harness.py)."""
    expected = io_harness.on_hamilton(name, tmp_path / "hamilton")
    folder = tmp_path / "airflow"
    folder.mkdir()
    module = corpus.fresh_module(io_harness.IO_PIPELINES, name)
    inputs = module._prepare(folder)
    monkeypatch.setenv("HAMILFLOW_DIFF_IO_FOLDER", str(folder))
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", str(tmp_path / "plans"))  # see the next test
    savers = list(expected.metadata)
    path = compile_dag(
        module.__name__,
        f"materializers_{name}",
        final_vars=list(module.OUTPUTS),
        params=inputs,
        materializers=[f"tests.differential.io.airflow_materializers:{name}"],
    )
    before = set(io_harness.files_in(folder))

    result = run_dag(path)

    got = io_harness.normalised(result.outputs, folder)
    written = {k: v for k, v in io_harness.files_in(folder).items() if k not in before}
    actual = io_harness.Outcome({k: v for k, v in got.items() if k not in savers}, {k: got[k] for k in savers}, written)
    io_harness.assert_same_outcome(expected, actual, name, crossed_processes=True)  # values cross the store pickled
    assert all([t.state for t in result.instances(saver)] == ["success"] for saver in savers)


def test_materializers_compiled_again_with_another_folder_write_there(compile_dag, run_dag, tmp_path, monkeypatch):
    name = "custom_loader_and_saver"
    module = corpus.fresh_module(io_harness.IO_PIPELINES, name)
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", str(tmp_path / "plans"))
    for run in ("first", "second"):
        folder = tmp_path / run
        folder.mkdir()
        module._prepare(folder)
        monkeypatch.setenv("HAMILFLOW_DIFF_IO_FOLDER", str(folder))
        path = compile_dag(
            module.__name__,
            "materializers_again",  # one DAG, compiled again: the same fingerprint
            final_vars=list(module.OUTPUTS),
            materializers=[f"tests.differential.io.airflow_materializers:{name}"],
        )
        run_dag(path)
        assert (folder / "kept.jsonl").exists(), f"the {run} run wrote elsewhere"
