"""What a worker runs: one task of the plan for a batch of its instances, and what it sends back.

The local runner (:mod:`hamilflow.execution.runner`) decides what runs where; these are the
pieces it ships to an executor: a :class:`TaskProgram` (the task's nodes, adapters and
hooks, shipped once per unit) and :func:`run_batch`, which runs it for several instances and
returns a :class:`BatchResult` that can leave a worker process.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cloudpickle

from hamilflow.execution.node_runner import run_nodes
from hamilflow.execution.portable_errors import WorkerError, portable_error

if TYPE_CHECKING:
    from hamilflow.base import HamiltonGraphAdapter
    from hamilflow.caching import TaskCache
    from hamilflow.execution.plan import TaskSpec
    from hamilflow.lifecycle import Lifecycle, TaskCall
    from hamilflow.node import Node


class TaskProgram:
    """What a worker needs to run instances of one task: its nodes, what to drop, what to return.

    It carries the Driver's graph adapter and Hamilton lifecycle adapters, so that they are
    called around each node in whatever process runs it.
    """

    def __init__(
        self,
        spec: TaskSpec,
        nodes: list[Node],
        adapter: HamiltonGraphAdapter | None,
        lifecycle: Lifecycle | None = None,
        run_id: str = "",
    ) -> None:
        self.name = spec.name
        self.nodes = nodes
        self.drops = spec.drops
        self.outputs = spec.outputs
        self.adapter = adapter
        self.lifecycle = lifecycle
        self.run_id = run_id

    def run(
        self, values: dict[str, Any], call: TaskCall | None = None, cache: TaskCache | None = None
    ) -> dict[str, Any]:
        """Run the task's nodes on ``values``; ``call`` names the instance to Hamilton's task hooks; ``cache``
        holds its nodes' cache keys when the run caches results."""
        task_id = call.task_id if call is not None else self.name

        def body(drops: Any = self.drops) -> dict[str, Any]:
            run_nodes(self.nodes, values, self.adapter, drops, self.lifecycle, self.run_id, task_id, cache)
            return {name: values[name] for name in self.outputs}

        lifecycle = self.lifecycle
        if call is None or lifecycle is None or not lifecycle.wraps_tasks:
            return body()
        if not lifecycle.keeps_task_values:
            return lifecycle.run_task(call, self.nodes, body)

        def every_value() -> dict[str, Any]:
            body(None)
            return dict(values)

        lifecycle.run_task(call, self.nodes, every_value)
        return {name: values[name] for name in self.outputs}


@dataclass
class BatchResult:
    """What a unit of work sends back: the outputs of the instances that ran, and the first failure.

    ``failed`` is the position in the batch of the instance that raised ``error``; the
    instances after it did not run.
    """

    outputs: list[dict[str, Any]]
    failed: int | None = None
    error: BaseException | None = None

    def portable(self) -> BatchResult:
        """This result, cut at the first instance whose outputs cannot be pickled (to leave a worker process).

        That instance becomes the failure, named by its node, so the runner names its item.
        """
        for position, outputs in enumerate(self.outputs):
            for name, value in outputs.items():
                try:
                    cloudpickle.dumps(value)
                except Exception as problem:  # noqa: BLE001 - any pickling failure is reported the same way
                    error = WorkerError(
                        f"the value of node '{name}' ({type(value).__qualname__}) cannot be pickled to send it back "
                        f"from the worker process: {type(problem).__name__}: {problem}. Return a picklable value "
                        "from the node, or run it on threads (MultiThreadingExecutor)."
                    )
                    return BatchResult(self.outputs[:position], position, error)
        return self


def run_batch(
    program: TaskProgram,
    batch: list[dict[str, Any]],
    calls: list[TaskCall] | None = None,
    caches: list[TaskCache] | None = None,
) -> BatchResult:
    """Run one task for several items; stop at the first failure and say which item it was.

    ``calls`` (one per item) are given when lifecycle adapters hook tasks, ``caches`` when the run
    caches results.
    """
    outputs = []
    for position, values in enumerate(batch):
        try:
            outputs.append(
                program.run(values, calls[position] if calls else None, caches[position] if caches else None)
            )
        except Exception as error:  # noqa: BLE001 - handed back, and raised by the runner with the item named
            return BatchResult(outputs, position, portable_error(error))
    return BatchResult(outputs)
