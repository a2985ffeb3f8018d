"""What the Airflow UI shows: short names for grouped tasks, and a failure's node, function, line and item first."""

from __future__ import annotations

import inspect

import pytest

from hamilflow.embedded_airflow import load_dag
from tests.resources.airflow import failing_group

pytestmark = pytest.mark.airflow

MODULE = "tests.resources.airflow.failing_group"


def test_a_grouped_task_keeps_its_id_and_shows_a_short_name(compile_dag) -> None:
    _, dag = load_dag(compile_dag(MODULE, "ui_names", final_vars=["total"]))
    grouped = [t for t in dag.tasks if "__" in t.task_id]
    assert [t.task_id for t in grouped] == ["prepared__scored__checked"]
    assert grouped[0].task_display_name == "prepared + scored + checked"
    assert dag.get_task("total").task_display_name == "total"  # a task of one node: its id


def test_a_failing_node_is_named_with_its_function_line_and_item_at_error_level(compile_dag, run_dag, capsys) -> None:
    result = run_dag(compile_dag(MODULE, "ui_failure", final_vars=["total"]), expect="failed")
    failed = [t for t in result.tasks if t.state == "failed"]
    assert [(t.task_id, t.label) for t in failed] == [("prepared__scored__checked", "region='south'")]

    line = inspect.getsourcelines(failing_group.scored)[1]
    expected = (
        f"hamilflow: node 'scored' in function scored ({MODULE}:{line}) failed, the item: index [1], "
        "region='south': ValueError: no model for SOUTH"
    )
    log = result.log.read_text() + capsys.readouterr().out  # the task log, wherever this Airflow writes it
    lines = log.splitlines()
    (summary,) = [i for i, line in enumerate(lines) if expected in line]
    assert "[error" in lines[summary]  # logged at ERROR level, in the task's log
    assert "Task failed with exception" in lines[summary + 1]  # first, then Airflow's traceback
