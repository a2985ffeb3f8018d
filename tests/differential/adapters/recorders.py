"""Lifecycle adapters that write down every call they receive, one JSON line per call, in a file.

A file, not a list in memory, because the calls of a node run by a worker process happen in
that process: each call appends one line (small appends to a file opened in append mode do not
interleave), and the test reads the file afterwards. One recorder per kind of Hamilton hook;
each records what can be compared between Apache Hamilton and hamilflow — names, values,
success, error types, purposes — and leaves out what is an identity of one run (``run_id``,
checked to be one per run by ``read``) or of one engine's grouping (``task_id``: see the task
tests for what of it is compared).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hamilton import htypes
from hamilton.lifecycle import api


def _tags(tags: dict) -> dict:
    return {k: v for k, v in sorted(tags.items()) if k != "module"}


def _error(error: BaseException | None) -> str | None:
    return type(error).__name__ if error is not None else None


def _purpose(purpose: Any) -> str:
    return getattr(purpose, "name", str(purpose))


class Journal:
    """Appends calls to ``path``; ``kind`` names the recorder in each line."""

    kind = "journal"

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)

    def write(self, *call: Any, run_id: str | None = None) -> None:
        record = {"by": self.kind, "run_id": run_id, "call": list(call), "pid": os.getpid()}
        line = json.dumps(record, default=repr, sort_keys=True)
        with open(self.path, "a") as out:
            out.write(line + "\n")


def read(path: str | Path, kind: str) -> list[list]:
    """The calls ``kind`` recorded, in order; every call that names a run names the same one."""
    lines = [json.loads(line) for line in Path(path).read_text().splitlines()] if Path(path).exists() else []
    runs = {line["run_id"] for line in lines if line["run_id"] is not None}
    assert len(runs) <= 1, f"calls of one execute name several runs: {runs}"
    return [line["call"] for line in lines if line["by"] == kind]


def processes(path: str | Path, kind: str) -> set[int]:
    """The ids of the processes that made the calls ``kind`` recorded."""
    return {json.loads(line)["pid"] for line in Path(path).read_text().splitlines() if json.loads(line)["by"] == kind}


def per_node(calls: list[list]) -> dict[str, list[list]]:
    """Node calls grouped by (node, its inputs), in order: one entry per node, or per item in a block."""
    found: dict[str, list[list]] = {}
    for call in calls:
        found.setdefault(f"{call[1]} {json.dumps(call[2], sort_keys=True)}", []).append(call)
    return found


class NodeRecorder(Journal, api.NodeExecutionHook):
    kind = "node"

    def run_before_node_execution(
        self, *, node_name, node_tags, node_kwargs, node_return_type, run_id, node_input_types, **future
    ):
        types = {k: repr(v) for k, v in sorted(node_input_types.items())}
        self.write("before", node_name, node_kwargs, _tags(node_tags), repr(node_return_type), types, run_id=run_id)

    def run_after_node_execution(self, *, node_name, node_kwargs, result, error, success, run_id, **future):
        self.write("after", node_name, node_kwargs, result, _error(error), success, run_id=run_id)


class GraphRecorder(Journal, api.GraphExecutionHook):
    kind = "graph"

    def run_before_graph_execution(self, *, graph, final_vars, inputs, overrides, execution_path, run_id, **future):
        names = sorted(n.name for n in graph.nodes)
        self.write("before", list(final_vars), inputs, overrides, sorted(execution_path), names, run_id=run_id)

    def run_after_graph_execution(self, *, success, error, results, run_id, **future):
        self.write("after", success, _error(error), results, run_id=run_id)


class TaskExecutionRecorder(Journal, api.TaskExecutionHook):
    """Before and after each task, in the process that runs it."""

    kind = "task"

    def run_before_task_execution(self, *, task_id, run_id, nodes, inputs, overrides, spawning_task_id, purpose, **f):
        names = [n.name for n in nodes]
        self.write("before", task_id, spawning_task_id, _purpose(purpose), names, overrides, run_id=run_id)

    def run_after_task_execution(
        self, *, task_id, run_id, nodes, results, success, error, spawning_task_id, purpose, **f
    ):
        names = [n.name for n in nodes]
        own = {k: v for k, v in (results or {}).items() if k in names}  # Hamilton's results also hold the inputs
        self.write("after", task_id, spawning_task_id, _purpose(purpose), names, own, success, _error(error))


class TaskSubmissionRecorder(Journal, api.TaskSubmissionHook):
    """When the run hands a task to its executor (in the process that runs the plan)."""

    kind = "submission"

    def run_before_task_submission(self, *, run_id, task_id, nodes, inputs, overrides, spawning_task_id, purpose, **f):
        self.write("submit", task_id, spawning_task_id, _purpose(purpose), [n.name for n in nodes], run_id=run_id)


class TaskReturnRecorder(Journal, api.TaskReturnHook):
    """When a task's result comes back to the process that runs the plan."""

    kind = "return"

    def run_after_task_return(self, *, run_id, task_id, nodes, result, success, error, spawning_task_id, purpose, **f):
        names = [n.name for n in nodes]
        self.write("return", task_id, spawning_task_id, _purpose(purpose), names, success, _error(error), run_id=run_id)


class EdgeRecorder(Journal, api.EdgeConnectionHook):
    """Records each edge and input check and answers as Hamilton's standard rules do."""

    kind = "edge"

    def check_edge_types_match(self, type_from: type, type_to: type, **kwargs: Any) -> bool:
        self.write("edge", repr(type_from), repr(type_to))
        return htypes.types_match(type_from, type_to)

    def validate_input(self, node_type: type, input_value: Any, **kwargs: Any) -> bool:
        self.write("input", repr(node_type), input_value)
        return htypes.check_input_type(node_type, input_value)


class ValidatorRecorder(Journal, api.StaticValidator):
    """Sees every node and the graph at build time; refuses nodes tagged ``refuse``."""

    kind = "validator"

    def run_to_validate_node(self, *, node, **future):
        self.write("node", node.name, _tags(node.tags))
        if node.tags.get("refuse"):
            return False, f"node {node.name} is tagged refuse"
        return True, None

    def run_to_validate_graph(self, graph, **future):
        self.write("graph", sorted(n.name for n in graph.nodes))
        return True, None


class ConstructionRecorder(Journal, api.GraphConstructionHook):
    kind = "construction"

    def run_after_graph_construction(self, *, graph, config, **future):
        nodes = sorted((n.name, n.is_external_input, repr(n.type)) for n in graph.nodes)
        self.write("constructed", nodes, config)


class MethodRecorder(Journal, api.NodeExecutionMethod):
    """Runs each node itself, records it, and adds 1000 to integer results (so its use shows in the outputs)."""

    kind = "method"

    def run_to_execute_node(self, *, node_name, node_tags, node_callable, node_kwargs, is_expand, is_collect, **f):
        self.write("execute", node_name, node_kwargs, is_expand, is_collect)
        result = node_callable(**node_kwargs)
        return result + 1000 if isinstance(result, int) and not isinstance(result, bool) else result


class ResultRecorder(Journal, api.ResultBuilder):
    """Records the outputs it is given and returns them as a sorted list of pairs."""

    kind = "result"

    def build_result(self, **outputs: Any) -> Any:
        self.write("build", outputs)
        return sorted(outputs.items())


class EnvNodeRecorder(NodeRecorder):
    """A NodeRecorder writing to the file ``$HAMILFLOW_DIFF_HOOK_LOG`` names at each call.

    Read at each call, not once: a worker process may build a DAG's adapters once and keep them.
    """

    def __init__(self) -> None:
        super().__init__("")

    def write(self, *call: Any, run_id: str | None = None) -> None:
        self.path = os.environ["HAMILFLOW_DIFF_HOOK_LOG"]
        super().write(*call, run_id=run_id)


def node_recorder_from_env() -> NodeRecorder:
    """The recorder a compiled DAG names by import path (``compile --adapter``)."""
    return EnvNodeRecorder()
