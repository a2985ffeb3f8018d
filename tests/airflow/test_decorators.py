"""Hamilton-decorated pipelines on Airflow: namespaced nodes become TaskGroups, results equal Hamilton's."""

from __future__ import annotations

import importlib

import pytest

pytestmark = pytest.mark.airflow

NAMESPACED = "tests.resources.airflow.namespaced"


def _hamilton(module: str, outputs: list[str]) -> dict:
    from hamilton import driver as hamilton_driver

    return hamilton_driver.Builder().with_modules(importlib.import_module(module)).build().execute(outputs)


def test_subdag_and_pipe_nodes_run_in_task_groups_named_after_their_namespace(compile_dag, run_dag) -> None:
    outputs = ["report", "report_range_validator", "south_model"]
    path = compile_dag(NAMESPACED, "namespaced", final_vars=outputs)
    result = run_dag(path)

    expected = _hamilton(NAMESPACED, outputs)
    assert result.outputs["report"] == expected["report"] and result.outputs["south_model"] == expected["south_model"]
    assert result.outputs["report_range_validator"].passes == expected["report_range_validator"].passes is True
    task_ids = {t.task_id for t in result.tasks}
    for region in ("north_model", "south_model"):  # one subdag, reused: each copy in a group of its own
        assert {f"{region}.region_sales", f"{region}.region_total", f"{region}.region_score"} <= task_ids
        assert f"{region}.{region}" in task_ids  # the subdag's output sits in its group, beside its nodes
    assert {"report.with_scale", "report.shifted", "report.report", "report_raw"} <= task_ids
    assert all(t.state == "success" for t in result.tasks)


def test_the_dag_file_declares_each_group_once_and_places_tasks_by_task_group(compile_dag) -> None:
    source = compile_dag(NAMESPACED, "namespaced_source", final_vars=["report"]).read_text()
    assert "from airflow.sdk import Param, TaskGroup, dag, task" in source
    assert source.count('TaskGroup(group_id="north_model")') == 1
    assert 'task_id="region_total",\n        task_group=north_model_group,' in source
    assert 'pipeline.run("north_model.region_total")' in source
