"""On real Airflow (dag.test()): the DAG's lifecycle adapters run inside each task, and a block's policy lets
failed items go while the collector sees exactly the items that succeeded."""

from __future__ import annotations

import json
import warnings

import pytest

from hamilflow.execution.item_failures import ItemFailuresWarning

pytestmark = pytest.mark.airflow

LOSSY = "tests.resources.airflow.lossy"
HOOKS = "tests.resources.recording_hooks:recording"


def test_adapters_run_in_every_task_of_a_dag_run(compile_dag, run_dag, local, tmp_path, monkeypatch) -> None:
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("HAMILFLOW_TEST_HOOK_LOG", str(log))
    path = compile_dag(LOSSY, "hooks_in_tasks", final_vars=["row_total"], adapters=[HOOKS])
    result = run_dag(path, run_conf={"n_rows": 5})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ItemFailuresWarning)
        assert result.outputs == local(LOSSY, ["row_total"], {"n_rows": 5})
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    ran = sorted(c[4] for c in calls if c[0] == "after node")
    assert ran == ["row", *(f"row.{i}.inverse" for i in range(5)), "row_total"]
    assert ["after node", "inverse", 0.5, True, "row.2.inverse"] in calls
    assert sum(c[0] == "returned" for c in calls) == 7  # one Hamilton task per item, and one per unmapped task


def test_failed_items_do_not_fail_the_run_and_the_collector_sees_the_rest(compile_dag, run_dag, local) -> None:
    path = compile_dag(LOSSY, "lossy_blocks", final_vars=["all_sales", "row_total"], items_per_task=1)
    result = run_dag(path, run_conf={"regions": 4, "n_rows": 10})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ItemFailuresWarning)
        expected = local(LOSSY, ["all_sales", "row_total"], {"regions": 4, "n_rows": 10})
    assert result.outputs == expected
    assert expected["all_sales"] == [3, 93]
    assert {t.state for t in result.tasks} == {"success"}
    assert len(result.instances("inverse")) == 10  # every row ran in its own instance; 4 of them failed inside


def test_too_many_failed_items_fail_the_collecting_task(compile_dag, run_dag) -> None:
    path = compile_dag(LOSSY, "lossy_too_many", final_vars=["row_total"])
    result = run_dag(path, expect="failed", run_conf={"n_rows": 1})  # its one row fails: 0 of 1, half asked
    states = {(t.task_id, t.state) for t in result.tasks}
    assert ("row_total", "failed") in states and ("inverse", "success") in states
    (collector,) = result.instances("row_total")
    assert "1 of the 1 items of block 'row' failed" in collector.error
    assert "row[0]: node 'inverse' raised ValueError: row 0 is a multiple of three" in collector.error


def test_graph_hooks_run_once_per_dag_run_in_a_setup_and_a_teardown_task(
    compile_dag, run_dag, local, tmp_path, monkeypatch
) -> None:
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("HAMILFLOW_TEST_HOOK_LOG", str(log))
    path = compile_dag(LOSSY, "graph_hooks", final_vars=["row_total"], adapters=[HOOKS])
    source = path.read_text()
    assert "@setup" in source and "@teardown" in source
    result = run_dag(path, run_conf={"n_rows": 4})
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    graph_calls = [c for c in calls if c[0].endswith("graph")]
    assert graph_calls == [
        ["before graph", ["row_total"], ["n_rows"], result.run_id],
        ["after graph", True, None, {"row_total": result.outputs["row_total"]}, result.run_id],
    ]
    assert calls[0][0] == "before graph" and calls[-1][0] == "after graph"


def test_the_teardown_reports_a_failed_run_and_the_run_stays_failed(compile_dag, run_dag, tmp_path, monkeypatch):
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("HAMILFLOW_TEST_HOOK_LOG", str(log))
    path = compile_dag(LOSSY, "graph_hooks_failing", final_vars=["row_total"], adapters=[HOOKS])
    result = run_dag(path, expect="failed", run_conf={"n_rows": 1})  # too few rows succeed: row_total fails
    (finished,) = result.instances("hamilflow_run_finished")
    assert finished.state == "success"
    last = [json.loads(line) for line in log.read_text().splitlines()][-1]
    assert last[:4] == ["after graph", False, "RunIncompleteError", None]
