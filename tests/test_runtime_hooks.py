"""Lifecycle adapters and block policies inside compiled tasks, driven through run_task as the DAG file does."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from hamilflow.execution.item_failures import ItemFailuresWarning
from hamilflow.runtime.task import read_outputs
from tests.test_runtime import _compile, _local, _simulate

BLOCK = "tests.resources.airflow.cube"
LOSSY = "tests.resources.airflow.lossy"


def _calls(path: Path) -> list[list]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_node_and_task_hooks_run_inside_each_task_as_in_the_driver(tmp_path, monkeypatch) -> None:
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("HAMILFLOW_TEST_HOOK_LOG", str(log))
    compiled = _compile(
        tmp_path, [LOSSY], "hooked", final_vars=["row_total"], adapters=["tests.resources.recording_hooks:recording"]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ItemFailuresWarning)
        _simulate(compiled, "run-1", {"n_rows": 4})
    calls = _calls(log)
    nodes = [(c[1], c[4]) for c in calls if c[0] == "after node"]
    # every node once per item, under the task id the local runner gives it
    assert sorted(nodes) == sorted(
        [("row", "row"), ("inverse", "row.1.inverse"), ("inverse", "row.2.inverse"), ("row_total", "row_total")]
        + [("inverse", "row.0.inverse"), ("inverse", "row.3.inverse")]
    )
    assert ["after node", "inverse", 1.0, True, "row.1.inverse"] in calls
    assert ["after node", "inverse", None, False, "row.0.inverse"] in calls
    for task_id in ("row", "row.0.inverse", "row.2.inverse", "row_total"):
        steps = ("submitted", "before task", "after task", "returned")
        sequence = [c[0] for c in calls if c[0] in steps and c[1] == task_id]
        assert sequence == ["submitted", "before task", "after task", "returned"], task_id
    assert ["submitted", "row.2.inverse", ["inverse"], "execute_block", "row"] in calls
    assert ["after task", "row.0.inverse", False] in calls  # the item that failed, then was dropped


def test_a_block_policy_gives_the_collector_the_items_that_succeeded_like_the_driver(tmp_path) -> None:
    compiled = _compile(tmp_path, [LOSSY], "lossy", final_vars=["all_sales", "row_total"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _simulate(compiled, "run-1", {"regions": 4, "n_rows": 10})
        local = _local([LOSSY], ["all_sales", "row_total"], {"regions": 4, "n_rows": 10})
    assert read_outputs(compiled.spec, "run-1") == local
    assert local == {"all_sales": [3, 93], "row_total": pytest.approx(sum(1 / r for r in range(10) if r % 3))}
    reported = [w.message for w in caught if isinstance(w.message, ItemFailuresWarning)]
    assert len(reported) == 4  # each block's failures, once by the runtime and once by the Driver
    assert sorted(str(f) for w in reported[:2] for f in w.failures) == sorted(
        str(f) for w in reported[2:] for f in w.failures
    )


def test_an_adapter_that_does_not_import_is_refused_at_compile_time(tmp_path) -> None:
    from hamilflow.compiler import CompileError

    with pytest.raises(CompileError, match="no_such_module"):
        _compile(tmp_path, [BLOCK], "bad", final_vars=["total"], adapters=["no_such_module:hooks"])
