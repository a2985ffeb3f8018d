"""Lifecycle adapters for compiled DAGs' tests: they append every call they receive to the file named by
``HAMILFLOW_TEST_HOOK_LOG``, one JSON list per line, so calls made in Airflow task processes can be read."""

from __future__ import annotations

import json
import os
from typing import Any

from hamilton.lifecycle import api


class Recording(
    api.NodeExecutionHook,
    api.TaskExecutionHook,
    api.TaskSubmissionHook,
    api.TaskReturnHook,
    api.GraphExecutionHook,
):
    def _record(self, *call: Any) -> None:
        with open(os.environ["HAMILFLOW_TEST_HOOK_LOG"], "a") as out:
            out.write(json.dumps(call, default=repr) + "\n")

    def run_before_node_execution(self, *, node_name, node_kwargs, task_id, **kwargs):
        self._record("before node", node_name, sorted(node_kwargs), task_id)

    def run_after_node_execution(self, *, node_name, result, success, task_id, **kwargs):
        self._record("after node", node_name, result, success, task_id)

    def run_before_task_submission(self, *, task_id, nodes, purpose, spawning_task_id, **kwargs):
        self._record("submitted", task_id, [n.name for n in nodes], purpose.value, spawning_task_id)

    def run_before_task_execution(self, *, task_id, nodes, **kwargs):
        self._record("before task", task_id)

    def run_after_task_execution(self, *, task_id, success, **kwargs):
        self._record("after task", task_id, success)

    def run_after_task_return(self, *, task_id, success, **kwargs):
        self._record("returned", task_id, success)

    def run_before_graph_execution(self, *, final_vars, inputs, run_id, **kwargs):
        self._record("before graph", sorted(final_vars), sorted(inputs or {}), run_id)

    def run_after_graph_execution(self, *, success, error, results, run_id, **kwargs):
        self._record("after graph", success, type(error).__name__ if error else None, results, run_id)


def recording() -> list:
    """A fresh adapter per task, as a factory named by import path gives."""
    return [Recording()]


class NodesOnly(api.NodeExecutionHook):
    def run_before_node_execution(self, *, node_name, task_id, **kwargs):
        with open(os.environ["HAMILFLOW_TEST_HOOK_LOG"], "a") as out:
            out.write(json.dumps(["before node", node_name, task_id]) + "\n")

    def run_after_node_execution(self, **kwargs):
        pass


nodes_only = NodesOnly()
