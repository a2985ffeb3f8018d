"""Hamilton's lifecycle adapters inside compiled Airflow tasks: what each hook means there.

A DAG compiled with adapters (``--adapter`` or ``adapters = [...]`` in the project's DAG
settings) names them by import path in its spec; each Airflow task imports them and calls
them for the work it does, so an adapter written for Hamilton (timing, tracking, lineage)
runs per task on Airflow unchanged:

* node hooks (``NodeExecutionHook``, ``NodeExecutionMethod``) around each node the task
  runs, for each item of its chunk, exactly as in the Driver;
* task hooks (``TaskSubmissionHook``, ``TaskExecutionHook``, ``TaskReturnHook``) once per
  item of a mapped task's chunk (once for an unmapped task), with the task id the local
  runner gives (``<expander task>.<item>.<task>``). Airflow, not hamilflow, submits the task,
  so submission and return are called in the task's own process, just before and after it
  executes;
* graph hooks (``GraphExecutionHook``) once per DAG run: ``pre_graph_execute`` in the run's
  first task (``hamilflow_run_started``) and ``post_graph_execute`` in its last
  (``hamilflow_run_finished``, which runs whether the run succeeded or not), both added to
  the DAG by the compiler only when an adapter has graph hooks;
* construction hooks (``GraphConstructionHook``, ``StaticValidator``, ``EdgeConnectionHook``)
  once per DAG run, in the same first task, before ``pre_graph_execute`` and on the same
  adapters: that task builds the graph as a Driver built for the run would, asking the edge
  checks about every edge, then calls ``post_graph_construct`` and the validators. A
  validator's refusal fails that task with the validator's message, so nothing of the run
  runs (as Hamilton's Driver is never built), and ``post_graph_execute`` is not called.
  Edge checks decide which graph exists, so the compiler and every task that builds the
  graph (one the worker's plan cache does not serve) ask them too: an edge Hamilton's rules
  refuse that an adapter accepts compiles and runs as in the Driver. ``post_graph_construct``
  and the validators are called in that first task only, so an adapter that keeps what it saw
  at construction has it there only;
* ``validate_input`` (``EdgeConnectionHook``) in the same first task, after ``pre_graph_execute``
  as in the Driver, about each of the run's inputs: its params (from the run's conf, else their
  defaults) and context values. A value it refuses fails that task with the Driver's message
  (``ExecutionRequestError``), so no node runs;
* ``post_task_group`` and ``post_task_expand`` are not called on Airflow: Airflow groups and
  expands the tasks.

Adapters are resolved in each task from the worker's code, so they must import there; a path that
names a factory is called again for each task.

    >>> TaskHooks(None, "manual__1", spec, nodes, producer).run((), values, body)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping

from hamilflow.lifecycle import Lifecycle, TaskCall, hamilton_task_id, task_purpose
from hamilflow.runtime.imports import adapters_from

if TYPE_CHECKING:
    from hamilflow.execution.plan import TaskSpec
    from hamilflow.node import Node

Index = tuple[int, ...]


def lifecycle_of(paths: tuple[str, ...]) -> Lifecycle | None:
    """The lifecycle of a compiled DAG's adapters, or None without any. Resolved for every task: a path that names
    a factory gives each task fresh adapters, as a Driver built per run would have."""
    return Lifecycle([adapter for path in paths for adapter in adapters_from(path)]) if paths else None


def has_graph_hooks(lifecycle: Lifecycle | None) -> bool:
    """Whether a DAG needs the run-started and run-finished tasks, once per run: for its adapters' graph hooks,
    or their construction hooks, validators and input checks (called in the run-started task)."""
    if lifecycle is None:
        return False
    does = lifecycle.set.does_hook
    return (
        does("pre_graph_execute", is_async=False)
        or does("post_graph_execute", is_async=False)
        or lifecycle.sees_construction
        or lifecycle.validates_inputs
    )


class TaskHooks:
    """The hooks around one plan task's scopes in an Airflow task (see the module docstring)."""

    def __init__(
        self, lifecycle: Lifecycle | None, run_id: str, spec: TaskSpec, nodes: list[Node], producer: Mapping[str, str]
    ) -> None:
        self.lifecycle = lifecycle
        self.run_id = run_id
        self.spec = spec
        self.nodes = nodes
        self.producer = producer
        self.sees_tasks = lifecycle is not None and lifecycle.sees_tasks

    def task_id(self, index: Index) -> str:
        return hamilton_task_id(self.spec.name, self.spec.path, index, self.producer)

    def run(self, index: Index, values: dict[str, Any], body: Callable[[Lifecycle | None, str], Any]) -> None:
        """Run ``body(lifecycle, task_id)`` (the scope's nodes) between the task hooks."""
        task_id = self.task_id(index) if self.lifecycle is not None else self.spec.name
        if not self.sees_tasks:
            body(self.lifecycle, task_id)
            return
        path = self.spec.path
        spawning = hamilton_task_id(self.producer[path[-1]], path[:-1], index[:-1], self.producer) if path else None
        call = TaskCall(self.run_id, task_id, task_purpose(self.spec), spawning, dict(values))
        lifecycle = self.lifecycle
        lifecycle.task_submitted(call, self.nodes)

        def task_body() -> dict[str, Any]:
            body(lifecycle, task_id)
            return dict(values) if lifecycle.keeps_task_values else {name: values[name] for name in self.spec.outputs}

        try:
            lifecycle.run_task(call, self.nodes, task_body)
        except Exception as error:
            lifecycle.task_returned(call, self.nodes, None, error)
            raise
        lifecycle.task_returned(call, self.nodes, {name: values[name] for name in self.spec.outputs}, None)
