"""A task that overruns its time limit on a real Airflow 3: it fails, promptly, and the error names the node.

``dag.test()`` runs each task in this process's main thread through Airflow's task runner,
which enforces a task's ``execution_timeout`` there with its own ``SIGALRM`` timer: so the
first test shows Airflow's limit at work (``AirflowTaskTimeout``), and hamilflow's alarm, due
no sooner, leaves that timer to fire and adds a note naming the node that was running. A task
inside a block has no ``execution_timeout``; the second test shows hamilflow's alarm
stopping the node inside the mapped task. The sleeping node would take a minute: a run that
ends within half of that was not waiting for it.
"""

from __future__ import annotations

import datetime
import time

import pytest

from hamilflow.embedded_airflow import load_dag

pytestmark = pytest.mark.airflow

TIMED = "tests.resources.airflow.timed"
PROMPT = 30.0  # seconds: the node sleeps 60, its limit is 2


def test_a_task_past_its_execution_timeout_fails_and_names_the_node(compile_dag, run_dag) -> None:
    path = compile_dag(TIMED, "timed_task", final_vars=["after"])
    _, dag = load_dag(path)
    assert dag.get_task("slow").execution_timeout == datetime.timedelta(seconds=2)  # from @tag(timeout="2s")
    assert dag.get_task("wait").execution_timeout is None

    started = time.monotonic()
    result = run_dag(path, expect="failed")
    assert time.monotonic() - started < PROMPT

    assert [(t.task_id, t.state) for t in result.tasks] == [
        ("wait", "success"),
        ("slow", "failed"),
        ("after", "upstream_failed"),
    ]
    error = result.instances("slow")[0].error
    assert error.startswith("AirflowTaskTimeout")  # Airflow's own execution_timeout stopped it
    assert "hamilflow: node 'slow' (tests.resources.airflow.timed.slow (line" in error  # and the node is named


def test_a_block_node_past_its_limit_fails_its_mapped_instance_and_names_node_and_item(compile_dag, run_dag) -> None:
    path = compile_dag(TIMED, "timed_block", final_vars=["measured_total"])
    _, dag = load_dag(path)
    assert dag.get_task("measured").execution_timeout is None  # an instance may run several items

    started = time.monotonic()
    result = run_dag(path, expect="failed")
    assert time.monotonic() - started < PROMPT

    failed = [t for t in result.instances("measured") if t.state == "failed"]
    assert len(failed) == 1, result.instances("measured")
    assert failed[0].error.startswith("NodeTimeoutError: node 'measured' (tests.resources.airflow.timed.measured (line")
    assert "limit of 2 s" in failed[0].error and "alarm" in failed[0].error  # hamilflow's alarm in the task
    assert failed[0].label == "part=1" and "for the item: index [1], part=1" in failed[0].error  # the item
    assert result.instances("measured_total")[0].state == "upstream_failed"
