"""Task-level hooks (TaskSubmissionHook, TaskExecutionHook, TaskReturnHook) under dynamic execution.

Hamilton calls them once per task: submission and return in the process that runs the graph,
execution before and after in the process that runs the task. Both engines are run with
dynamic execution (hamilflow synchronously and on a two-process pool) and compared on what
their tasks have in common:

- each task's calls come in the order submission, before, after, return;
- each node runs in as many tasks as on Hamilton (once, or once per item), with the same
  purpose (``EXECUTE_SINGLE``, ``EXPAND_UNORDERED``, ``EXECUTE_BLOCK``, ``GATHER``);
- a block's tasks are spawned by the task that ran the block's expander, other tasks by none;
- each task reports success and, for its own nodes, the values Hamilton's tasks report.

What differs by design and is not compared: task ids (hamilflow names a task after its plan
task, Hamilton after its grouping), the tasks Hamilton makes for external inputs (hamilflow
gives inputs to the tasks that read them: it makes none), which nodes share a task outside
blocks (each engine's grouping decides), the inputs a task receives (Hamilton's results also
echo them), and what a return hook gets as an expander's result (Hamilton passes ``{}``).
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from tests.differential import harness as corpus
from tests.differential.adapters import harness, recorders

CASES = ["plain_chain", "plain_map_reduce", "parallel_sequential_blocks", "parallel_mutate_in_block"]


class TaskRecorder(recorders.TaskExecutionRecorder, recorders.TaskSubmissionRecorder, recorders.TaskReturnRecorder):
    """The three task hooks in one adapter, writing to one file (so their relative order is kept)."""


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def tasks_summary(path, inputs: set[str]) -> dict:
    """What of the recorded task calls both engines share (see the module docstring)."""
    calls = [line["call"] for line in _lines(path)]
    order, nodes_of, purpose_of, spawner_of = defaultdict(list), {}, {}, {}
    outputs_of, successes = defaultdict(list), []
    for kind, task_id, spawning, purpose, nodes, *rest in calls:
        order[task_id].append(kind)
        nodes_of[task_id], purpose_of[task_id], spawner_of[task_id] = nodes, purpose, spawning
        if kind == "after":
            own, success, _ = rest
            successes.append(success)
            outputs_of[task_id].append(own)
        if kind == "return":
            successes.append(rest[0])
    runs = [t for t in order if not set(nodes_of[t]) <= inputs]  # Hamilton's tasks for external inputs: none here
    by_node, results = defaultdict(list), defaultdict(list)
    for task in runs:
        for own in outputs_of[task]:
            for name, value in own.items():
                results[name].append(json.dumps(value, sort_keys=True))
        spawner = spawner_of[task]
        for name in nodes_of[task]:
            by_node[name].append((purpose_of[task], sorted(nodes_of[spawner]) if spawner is not None else None))
    return {
        "order": sorted({tuple(order[t]) for t in runs}),
        "tasks per node": {name: sorted(found, key=str) for name, found in by_node.items()},
        "values per node": {name: sorted(values) for name, values in results.items()},
        "all succeeded": all(successes) and bool(successes),
    }


@pytest.mark.parametrize("back_end", ["dynamic", "processes"])
@pytest.mark.parametrize("name", CASES)
def test_task_hooks_see_the_tasks_hamilton_runs(tmp_path, name, back_end) -> None:
    inputs = set(corpus.settings(corpus.fresh_module(corpus.PIPELINES, name))[1])
    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "hamilflow.jsonl"
    expected = harness.corpus_run("hamilton", name, [TaskRecorder(theirs)], dynamic=True)
    actual = harness.corpus_run(back_end, name, [TaskRecorder(ours)], dynamic=True)

    harness.assert_same_outcome(expected, actual)
    summary, reference = tasks_summary(ours, inputs), tasks_summary(theirs, inputs)
    values, reference_values = summary.pop("values per node"), reference.pop("values per node")
    assert summary == reference
    assert summary["order"] == [("submit", "before", "after", "return")] and summary["all succeeded"]
    assert values and values == {name: reference_values[name] for name in values}  # see the next test


def test_after_task_execution_gets_the_value_of_every_node_the_task_ran(tmp_path) -> None:
    name = "parallel_mutate_in_block"
    inputs = set(corpus.settings(corpus.fresh_module(corpus.PIPELINES, name))[1])
    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "hamilflow.jsonl"
    harness.corpus_run("hamilton", name, [TaskRecorder(theirs)], dynamic=True)
    harness.corpus_run("dynamic", name, [TaskRecorder(ours)], dynamic=True)
    assert tasks_summary(ours, inputs)["values per node"] == tasks_summary(theirs, inputs)["values per node"]
