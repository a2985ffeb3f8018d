"""The local task runner: runs a plan's tasks on executors, expanding and collecting blocks.

How it works
------------
A *task instance* is a task of the plan together with an *index*: the item number in
each block of the task's path (``()`` at the top level, ``(3,)`` for item 3 of a block,
``(3, 0)`` for item 0 of an inner block of item 3). A *scope* is a block path with an
index; opening a scope creates one instance of each task whose path is that block path.
The top-level scope is opened at the start; an expander opens one scope per item when
the instance that runs it finishes.

Instances wait on *events*, and the state is plain data:

* ``("done", task, index)`` fires when that instance finishes;
* ``("block", expander, index)`` fires when a block is complete: the expander has run
  and every instance inside the block (at the block's own depth) has finished.

``waiting[instance]`` counts the events an instance still needs, ``waiters[event]``
lists the instances to wake when it fires, ``fired`` remembers events already past, and
``remaining[block]`` counts the instances a block still runs. Finishing an instance
touches only its own waiters and one block counter, so the cost grows with the number
of instances, never with its square, and nothing recurses.

Values live in ``results`` keyed by ``(node, index prefix)``: a node in a block of depth
*d* is stored under the first *d* numbers of the index. A collector reads the block's
values item by item, in item order, whatever order the items finished in.

Ready instances of one task that go to a parallel executor are batched into a few
units per worker, so thousands of small items do not pay a round trip each; at most
``parallelism`` units per executor are in flight, so a failing item stops the run
after the units already running.

    >>> import types
    >>> from hamilflow.graph import FunctionGraph
    >>> from hamilflow.execution.plan import build_plan
    >>> m = types.ModuleType("m")
    >>> exec('''
    ... from hamilflow.htypes import Parallelizable, Collect
    ... def n() -> Parallelizable[int]:
    ...     yield from range(4)
    ... def sq(n: int) -> int:
    ...     return n * n
    ... def total(sq: Collect[int]) -> int:
    ...     return sum(sq)''', m.__dict__)
    >>> graph = FunctionGraph.from_modules(m)
    >>> run_plan(graph, build_plan(graph, ["total"]), {})["total"]
    14
"""

from __future__ import annotations

import math
import queue
from collections import deque
from typing import TYPE_CHECKING, Any, Iterator, Mapping

from hamilflow.errors import add_note
from hamilflow.execution.executors import (
    DefaultExecutionManager,
    ExecutionManager,
    SynchronousLocalTaskExecutor,
    TaskExecutor,
)
from hamilflow.execution.node_runner import Step, run_steps

if TYPE_CHECKING:
    from hamilflow.base import HamiltonGraphAdapter
    from hamilflow.execution.plan import Plan, TaskSpec
    from hamilflow.graph import FunctionGraph

Index = tuple[int, ...]
Instance = tuple[str, Index]
Event = tuple[str, str, Index]


class TaskProgram:
    """What a worker needs to run instances of one task: its steps and which values to return."""

    def __init__(self, spec: TaskSpec, steps: list[Step], adapter: HamiltonGraphAdapter | None) -> None:
        self.name = spec.name
        self.steps = steps
        self.outputs = spec.outputs
        self.adapter = adapter

    def run(self, values: dict[str, Any]) -> dict[str, Any]:
        run_steps(self.steps, values, self.adapter)
        return {name: values[name] for name in self.outputs}


def run_batch(program: TaskProgram, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run one task for several items; on failure, record which item failed."""
    results = []
    for position, values in enumerate(batch):
        try:
            results.append(program.run(values))
        except Exception as error:
            error.hamilflow_batch_position = position  # type: ignore[attr-defined]
            raise
    return results


def _block_of(index: Index, path: tuple[str, ...]) -> str:
    return ", ".join(f"{block}[{i}]" for block, i in zip(path, index))


class Runner:
    """Runs one plan to completion. Create one per run; see the module docstring for the algorithm."""

    def __init__(
        self,
        graph: FunctionGraph,
        plan: Plan,
        manager: ExecutionManager | None = None,
        adapter: HamiltonGraphAdapter | None = None,
        progress: bool = False,
    ) -> None:
        self.plan = plan
        self.manager = manager or DefaultExecutionManager(
            SynchronousLocalTaskExecutor(), SynchronousLocalTaskExecutor()
        )
        self.specs = {t.name: t for t in plan.tasks}
        self.programs = {
            t.name: TaskProgram(t, [Step.of(graph.nodes[n]) for n in t.nodes], adapter) for t in plan.tasks
        }
        self.tasks_at: dict[tuple[str, ...], list[str]] = {}
        for t in plan.tasks:
            self.tasks_at.setdefault(t.path, []).append(t.name)
        self.events_of = {t.name: self._event_templates(t) for t in plan.tasks}
        self.accessors = {t.name: plan.read_modes(t) for t in plan.tasks}
        # state
        self.results: dict[tuple[str, Index], Any] = {}
        self.waiting: dict[Instance, int] = {}
        self.waiters: dict[Event, list[Instance]] = {}
        self.fired: set[Event] = set()
        self.remaining: dict[tuple[str, Index], int] = {}
        self.ready: deque[Instance] = deque()
        self.progress = _Progress() if progress else None

    def _event_templates(self, spec: TaskSpec) -> list[tuple[str, str, int]]:
        """The events an instance of ``spec`` waits for, as (kind, name, index length)."""
        templates = []
        collected = spec.collected
        for value in spec.inputs:
            if value in collected:
                block_path = self.plan.value_paths[value]
                templates.append(("block", block_path[-1], len(block_path) - 1))
            else:
                producer = self.specs[self.plan.producer[value]]
                templates.append(("done", producer.name, len(producer.path)))
        return list(dict.fromkeys(templates))

    # -------------------------------------------------------------- bookkeeping
    def open_scope(self, path: tuple[str, ...], index: Index) -> None:
        """Create the instances of every task at ``path`` for ``index``. Mutates."""
        for name in self.tasks_at.get(path, ()):
            instance = (name, index)
            count = 0
            for kind, target, length in self.events_of[name]:
                event = (kind, target, index[:length])
                if event not in self.fired:
                    self.waiters.setdefault(event, []).append(instance)
                    count += 1
            if count:
                self.waiting[instance] = count
            else:
                self.ready.append(instance)
        if self.progress:
            self.progress.add(len(self.tasks_at.get(path, ())))

    def fire(self, event: Event) -> None:
        """Mark ``event`` as past and wake the instances waiting for it. Mutates."""
        self.fired.add(event)
        for instance in self.waiters.pop(event, ()):
            self.waiting[instance] -= 1
            if not self.waiting[instance]:
                del self.waiting[instance]
                self.ready.append(instance)

    def finish(self, instance: Instance, outputs: dict[str, Any]) -> None:
        """Store an instance's outputs, open the blocks it expands, fire its events. Mutates."""
        name, index = instance
        spec = self.specs[name]
        for value, result in outputs.items():
            self.results[(value, index)] = result
        for expander in spec.expanders:
            inner = spec.path + (expander,)
            items = len(outputs[expander])
            block = (expander, index)
            self.remaining[block] = items * len(self.tasks_at.get(inner, ()))
            for item in range(items):
                self.open_scope(inner, index + (item,))
            if not self.remaining[block]:
                self.fire(("block", expander, index))
        self.fire(("done", name, index))
        if spec.path:
            block = (spec.path[-1], index[:-1])
            self.remaining[block] -= 1
            if not self.remaining[block]:
                self.fire(("block", block[0], block[1]))
        if self.progress:
            self.progress.done()

    def inputs_for(self, instance: Instance, base: Mapping[str, Any]) -> dict[str, Any]:
        """The argument values an instance reads: from the caller, upstream instances or whole blocks."""
        name, index = instance
        spec = self.specs[name]
        values = {v: base[v] for v in spec.external_inputs if v in base}
        values.update(self.plan.gather_inputs(self.accessors[name], index, self._value, self._item, self._count))
        return values

    def _value(self, node: str, index: Index) -> Any:
        return self.results[(node, index)]

    def _item(self, expander: str, index: Index) -> Any:
        return self.results[(expander, index[:-1])][index[-1]]  # an expander keeps its items as one list

    def _count(self, expander: str, index: Index) -> int:
        return len(self.results[(expander, index)])

    # -------------------------------------------------------------- the loop
    def batches(self) -> Iterator[tuple[str, list[Instance]]]:
        """Drain ``ready`` into (task, instances) groups, keeping first-come order."""
        groups: dict[str, list[Instance]] = {}
        while self.ready:
            instance = self.ready.popleft()
            groups.setdefault(instance[0], []).append(instance)
        yield from groups.items()

    def run(self, base: Mapping[str, Any]) -> dict[str, Any]:
        """Run every task; return the plan's final values. ``base`` holds inputs, config and overrides.

        Ready instances bound for a parallel executor are cut into units (a few per
        worker) and queued per executor; at most ``parallelism`` units of an executor are
        in flight at once, like ``dask.local``'s ``len(running) < num_workers``. So a
        failure stops the run after the units already running, not after every unit the
        executor had accepted.
        """
        self.open_scope((), ())
        done_queue: queue.SimpleQueue = queue.SimpleQueue()
        in_flight: dict[int, tuple[Any, list[Instance], TaskExecutor]] = {}
        queued: dict[TaskExecutor, deque[tuple[str, list[Instance]]]] = {}
        running: dict[TaskExecutor, int] = {}
        self.manager.init()
        try:
            while self.ready or in_flight:
                for name, instances in self.batches():
                    executor = self.manager.get_executor_for_task(self.specs[name])
                    if executor.inline:
                        for instance in instances:
                            self._run_inline(self.programs[name], instance, base)
                        continue
                    size = max(1, math.ceil(len(instances) / (executor.parallelism * 4)))
                    units = queued.setdefault(executor, deque())
                    units.extend((name, instances[i : i + size]) for i in range(0, len(instances), size))
                for executor, units in queued.items():
                    while units and running.get(executor, 0) < max(1, executor.parallelism):
                        name, chunk = units.popleft()
                        batch = [self.inputs_for(i, base) for i in chunk]
                        future = executor.submit(run_batch, self.programs[name], batch)
                        key = id(future)
                        in_flight[key] = (future, chunk, executor)
                        running[executor] = running.get(executor, 0) + 1
                        future.add_done_callback(lambda f, key=key: done_queue.put(key))
                if self.ready or not in_flight:
                    continue
                future, chunk, executor = in_flight.pop(done_queue.get())
                running[executor] -= 1
                try:
                    outputs = future.result()
                except BaseException as error:
                    position = getattr(error, "hamilflow_batch_position", 0)
                    self._describe_failure(error, chunk[min(position, len(chunk) - 1)])
                    for other, _, _ in in_flight.values():
                        other.cancel()
                    raise
                for instance, result in zip(chunk, outputs):
                    self.finish(instance, result)
        finally:
            self.manager.finalize()
            if self.progress:
                self.progress.close()
        return self.final_values(base)

    def _run_inline(self, program: TaskProgram, instance: Instance, base: Mapping[str, Any]) -> None:
        try:
            outputs = program.run(self.inputs_for(instance, base))
        except Exception as error:
            self._describe_failure(error, instance)
            raise
        self.finish(instance, outputs)

    def _describe_failure(self, error: BaseException, instance: Instance) -> None:
        name, index = instance
        if index:
            add_note(error, f"hamilflow: in task '{name}', item {_block_of(index, self.specs[name].path)}")

    def final_values(self, base: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for name in self.plan.final_vars:
            out[name] = self.results[(name, ())] if (name, ()) in self.results else base[name]
        return out


class _Progress:
    """A tqdm bar over task instances, growing as blocks expand (tqdm is optional).

    Growing the total does not redraw (a block of 40,000 items would draw 40,000 times);
    tqdm redraws on progress, at most every ``mininterval``, and the bar is left on
    screen at the end with the count of instances done.
    """

    def __init__(self) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - tqdm is a declared dependency
            self.bar = None
        else:
            self.bar = tqdm(total=0, unit="task", desc="hamilflow")

    def add(self, count: int) -> None:
        if self.bar is not None:
            self.bar.total += count

    def done(self) -> None:
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_plan(
    graph: FunctionGraph,
    plan: Plan,
    base: Mapping[str, Any],
    manager: ExecutionManager | None = None,
    adapter: HamiltonGraphAdapter | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Run ``plan`` with values ``base`` (inputs, config, overrides); return the final values."""
    return Runner(graph, plan, manager, adapter, progress).run(base)
