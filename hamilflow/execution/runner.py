"""The local task runner: runs a plan's tasks on executors, expanding and collecting blocks.

How it works
------------
A *task instance* is a task of the plan together with an *index*: the item number in
each block of the task's path (``()`` at the top level, ``(3,)`` for item 3 of a block,
``(3, 0)`` for item 0 of an inner block of item 3). A *scope* is a block path with an
index; opening a scope creates one instance of each task whose path is that block path.
The top-level scope is opened at the start; an expander opens one scope per item when
the instance that runs it finishes.

The runner interprets the plan and derives nothing from the graph: each task's ``reads``
say what an instance waits for and how it finds its inputs. Instances wait on *events*,
and the state (a :class:`RunState`) is plain data:

* ``("done", task, index)`` fires when that instance finishes;
* ``("collected", task, index)`` fires when every instance of a task inside a block
  (one per item of the block opened at ``index``) has finished: its values can be collected.

``waiting[instance]`` counts the events an instance still needs, ``waiters[event]``
lists the instances to wake when it fires, ``fired`` remembers events already past, and
``remaining[(task, index)]`` counts the instances of a task a block still runs. Finishing
an instance touches only its own waiters and one counter, so the cost grows with the
number of instances, never with its square, and nothing recurses.

Values live in ``results`` keyed by ``(node, index prefix)``: a node in a block of depth
*d* is stored under the first *d* numbers of the index. A collector reads the block's
values item by item, in item order, whatever order the items finished in.

A value is released as soon as its last reader has run, as dask's ``release_data`` does:
``readers[key]`` counts the instances that will still read it. An instance counts itself
in when it is created (a collector, for each item as the item's scope opens); an instance
that opens blocks also counts in for the readers its blocks will create (the plan's
``holds``), until its blocks are open. The caller's outputs are kept.

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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from hamilflow.caching.keys import KeyBuilder
from hamilflow.caching.results import CacheSettings, TaskCache, graph_behaviors, task_cache
from hamilflow.errors import add_note
from hamilflow.execution.executors import (
    DefaultExecutionManager,
    ExecutionManager,
    SynchronousLocalTaskExecutor,
    TaskExecutor,
)
from hamilflow.execution.item_failures import ItemFailure, failed_node, failure_for, judge, screen
from hamilflow.execution.plan import ReadKind, gather_inputs
from hamilflow.execution.portable_errors import restore_error
from hamilflow.execution.progress import Progress
from hamilflow.execution.units import TaskProgram, run_batch
from hamilflow.lifecycle import TaskCall, hamilton_task_id, task_purpose

if TYPE_CHECKING:
    from hamilflow.base import HamiltonGraphAdapter
    from hamilflow.execution.plan import Plan, TaskSpec
    from hamilflow.graph import FunctionGraph
    from hamilflow.lifecycle import Lifecycle

Index = tuple[int, ...]
Instance = tuple[str, Index]
Event = tuple[str, str, Index]


def _block_of(index: Index, path: tuple[str, ...]) -> str:
    return ", ".join(f"{block}[{i}]" for block, i in zip(path, index))


@dataclass
class RunState:
    """What changes while a plan runs (the plan and the programs stay constant, as in dask).

    ``results`` holds values by ``(node, index prefix)`` while some instance will still read
    them (``readers`` counts those instances); ``counts`` the items of each expander
    instance; ``waiting``/``waiters``/``fired`` the events instances wait for;
    ``remaining`` the instances of each task a block still runs; ``ready`` what can run now;
    ``judged`` the block instances whose lost items were reported; ``lost_blocks`` the block
    instances that never opened, since the item that would have opened them was dropped.
    """

    results: dict[tuple[str, Index], Any] = field(default_factory=dict)
    counts: dict[tuple[str, Index], int] = field(default_factory=dict)
    readers: dict[tuple[str, Index], int] = field(default_factory=dict)
    waiting: dict[Instance, int] = field(default_factory=dict)
    waiters: dict[Event, list[Instance]] = field(default_factory=dict)
    fired: set[Event] = field(default_factory=set)
    remaining: dict[tuple[str, Index], int] = field(default_factory=dict)
    ready: deque[Instance] = field(default_factory=deque)
    judged: set[tuple[str, Index]] = field(default_factory=set)
    lost_blocks: dict[tuple[str, Index], ItemFailure] = field(default_factory=dict)


class Runner:
    """Runs one plan to completion. Create one per run; see the module docstring for the algorithm."""

    def __init__(
        self,
        graph: FunctionGraph,
        plan: Plan,
        manager: ExecutionManager | None = None,
        adapter: HamiltonGraphAdapter | None = None,
        progress: bool = False,
        lifecycle: Lifecycle | None = None,
        run_id: str = "",
        cache: CacheSettings | None = None,
    ) -> None:
        self.plan = plan
        self.manager = manager or DefaultExecutionManager(
            SynchronousLocalTaskExecutor(), SynchronousLocalTaskExecutor()
        )
        self.specs = plan.task
        self.programs = {
            t.name: TaskProgram(t, [graph.nodes[n] for n in t.nodes], adapter, lifecycle, run_id) for t in plan.tasks
        }
        self.keep = {(name, ()) for name in plan.final_vars}
        self.state = RunState()
        self.progress = Progress() if progress else None
        self.run_id = run_id
        self.lifecycle = lifecycle if lifecycle is not None and lifecycle.sees_tasks else None
        self.purposes = {t.name: task_purpose(t) for t in plan.tasks} if self.lifecycle is not None else {}
        self.policies = plan.item_policies
        self.graph = graph
        self.cache = cache
        self.keys: KeyBuilder | None = None  # made at the first instance, from the run's external values
        self.cache_behaviors: dict[str, str] = {}  # made with the keys

    # -------------------------------------------------------------- task hooks
    def task_id(self, instance: Instance) -> str:
        """Hamilton's id for an instance (see :func:`~hamilflow.lifecycle.hamilton_task_id`)."""
        name, index = instance
        return hamilton_task_id(name, self.specs[name].path, index, self.plan.producer)

    def spawning_task_id(self, instance: Instance) -> str | None:
        """The instance that opened this instance's block (None at the top level, collecting tasks too, as in
        Hamilton)."""
        name, index = instance
        path = self.specs[name].path
        return (
            hamilton_task_id(self.plan.producer[path[-1]], path[:-1], index[:-1], self.plan.producer) if path else None
        )

    def task_call(self, instance: Instance, inputs: Mapping[str, Any]) -> TaskCall:
        return TaskCall(
            self.run_id, self.task_id(instance), self.purposes[instance[0]], self.spawning_task_id(instance), inputs
        )

    # -------------------------------------------------------------- bookkeeping
    def open_scope(self, path: tuple[str, ...], index: Index) -> None:
        """Create the instances of every task at ``path`` for ``index``. Mutates."""
        names = self.plan.tasks_at.get(path, ())
        for name in names:
            instance = (name, index)
            spec = self.specs[name]
            count = 0
            for event in self._events(spec, index):
                if event not in self.state.fired:
                    self.state.waiters.setdefault(event, []).append(instance)
                    count += 1
            if count:
                self.state.waiting[instance] = count
            else:
                self.state.ready.append(instance)
            for key in self._read_keys(spec, index):
                self.state.readers[key] = self.state.readers.get(key, 0) + 1
        if path:  # collectors of this block read the values of this item
            item_key = index
            for value in self.plan.collected_in.get(path[-1], ()):
                key = (value, item_key)
                self.state.readers[key] = self.state.readers.get(key, 0) + 1
        if self.progress:
            self.progress.add(len(names))

    @staticmethod
    def _events(spec: TaskSpec, index: Index) -> list[Event]:
        """What an instance waits for: its producers' instances, or, for what it collects, all of them.

        A collected value waits for every instance of the task that computes it in the block,
        not for the whole block: a node of the block may itself read the collector.
        """
        events = {}
        for read in spec.reads:
            kind = "collected" if read.kind is ReadKind.COLLECT else "done"
            events[(kind, read.producer, index[: read.depth])] = None
        return list(events)

    @staticmethod
    def _read_keys(spec: TaskSpec, index: Index) -> list[tuple[str, Index]]:
        """The stored values an instance keeps alive until it has run (a hold is one, too)."""
        keys = [(read.value, index[: read.depth]) for read in spec.reads if read.kind is not ReadKind.COLLECT]
        keys += [(value, index[:depth]) for value, depth in spec.holds]
        return keys

    def release(self, keys: Iterable[tuple[str, Index]]) -> None:
        """One reader fewer for each key; a value with no reader left is dropped. Mutates."""
        readers, results = self.state.readers, self.state.results
        for key in keys:
            left = readers[key] - 1
            if left:
                readers[key] = left
            else:
                del readers[key]
                if key not in self.keep:
                    results.pop(key, None)

    def fire(self, event: Event) -> None:
        """Mark ``event`` as past and wake the instances waiting for it. Mutates."""
        self.state.fired.add(event)
        for instance in self.state.waiters.pop(event, ()):
            self.state.waiting[instance] -= 1
            if not self.state.waiting[instance]:
                del self.state.waiting[instance]
                self.state.ready.append(instance)

    def finish(self, instance: Instance, outputs: dict[str, Any]) -> None:
        """Store an instance's outputs, open the blocks it expands, fire its events, release what it read.

        Mutates. A value no instance will read (nor the caller) is not kept.
        """
        name, index = instance
        spec = self.specs[name]
        for expander in spec.expanders:
            inner = spec.path + (expander,)
            found = outputs[expander]
            if type(found) is ItemFailure:  # its item was dropped: the block never opens
                self.state.lost_blocks[(expander, index)] = found
                found = []
            items = self.state.counts[(expander, index)] = len(found)
            if self.lifecycle is not None:
                self.lifecycle.task_expanded(self.run_id, self.task_id(instance), found)
            for task in self.plan.tasks_at.get(inner, ()):
                self.state.remaining[(task, index)] = items
            for item in range(items):
                self.open_scope(inner, index + (item,))
            if not items:
                for task in self.plan.tasks_at.get(inner, ()):
                    self.fire(("collected", task, index))
        for value, result in outputs.items():
            key = (value, index)
            if key in self.state.readers or key in self.keep:
                self.state.results[key] = result
        self.fire(("done", name, index))
        if spec.path:
            scope = (name, index[:-1])
            self.state.remaining[scope] -= 1
            if not self.state.remaining[scope]:
                self.fire(("collected", name, index[:-1]))
        self.release(self._read_keys(spec, index))
        for read in spec.reads:
            if read.kind is ReadKind.COLLECT:
                prefix = index[: read.depth]
                self.release((read.value, prefix + (i,)) for i in range(self._count(read.block, prefix)))
        if self.progress:
            self.progress.done()

    def inputs_for(self, instance: Instance, base: Mapping[str, Any]) -> dict[str, Any]:
        """The argument values an instance reads: from the caller, upstream instances or whole blocks."""
        name, index = instance
        spec = self.specs[name]
        values = {v: base[v] for v in spec.external if v in base}
        values.update(gather_inputs(spec, index, self._value, self._item, self._count))
        return values

    # -------------------------------------------------------------- items a block may lose
    def prepare(self, instance: Instance, base: Mapping[str, Any]) -> dict[str, Any] | None:
        """The instance's inputs, or None when it reads a dropped item (it is then finished as dropped).

        Only pipelines with a block policy pay for the checks.
        """
        values = self.inputs_for(instance, base)
        if not self.policies:
            return values
        name, index = instance
        failure = screen(self.specs[name], index, values, self.policies, self._lost_block, self._judge)
        if failure is None:
            return values
        self.finish(instance, dict.fromkeys(self.specs[name].outputs, failure))
        return None

    def dropped(self, instance: Instance, error: BaseException) -> bool:
        """Drop the item of the nearest enclosing block with a policy, if any; True when the run goes on."""
        name, index = instance
        spec = self.specs[name]
        node = failed_node(error, spec.nodes[0])
        failure = failure_for(spec.path, index, self.policies, node, error)
        if failure is None:
            return False
        self.finish(instance, dict.fromkeys(spec.outputs, failure))
        return True

    def _lost_block(self, block: str, prefix: Index) -> ItemFailure | None:
        return self.state.lost_blocks.get((block, prefix))

    def _judge(self, block: str, prefix: Index, total: int, failures: list[ItemFailure]) -> None:
        if (block, prefix) not in self.state.judged:
            self.state.judged.add((block, prefix))
            judge(block, self.policies[block], total, failures)

    def _value(self, node: str, index: Index) -> Any:
        return self.state.results[(node, index)]

    def _item(self, expander: str, index: Index) -> Any:
        return self.state.results[(expander, index[:-1])][index[-1]]  # an expander keeps its items as one list

    def _count(self, expander: str, index: Index) -> int:
        return self.state.counts[(expander, index)]

    # -------------------------------------------------------------- the loop
    def batches(self) -> Iterator[tuple[str, list[Instance]]]:
        """Drain ``ready`` into (task, instances) groups, keeping first-come order."""
        groups: dict[str, list[Instance]] = {}
        while self.state.ready:
            instance = self.state.ready.popleft()
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
        if self.lifecycle is not None:
            self.lifecycle.tasks_grouped(self.run_id, [t.name for t in self.plan.tasks])
        self.open_scope((), ())
        done_queue: queue.SimpleQueue = queue.SimpleQueue()
        in_flight: dict[int, tuple[Any, list[Instance], TaskExecutor]] = {}
        queued: dict[TaskExecutor, deque[tuple[str, list[Instance]]]] = {}
        running: dict[TaskExecutor, int] = {}
        self.manager.init()
        try:
            while self.state.ready or in_flight or any(queued.values()):  # units may wait their turn
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
                        prepared = [(i, self.prepare(i, base)) for i in chunk]
                        chunk = [i for i, values in prepared if values is not None]
                        batch = [values for _, values in prepared if values is not None]
                        if not chunk:
                            continue
                        calls = self._submitted(chunk, batch)
                        caches = self._caches(chunk, base)
                        unit: tuple = (self.programs[name], batch)
                        if calls is not None or caches is not None:
                            unit = (*unit, calls, caches)
                        future = executor.submit(run_batch, *unit)
                        key = id(future)
                        in_flight[key] = (future, chunk, executor)
                        running[executor] = running.get(executor, 0) + 1
                        future.add_done_callback(lambda f, key=key: done_queue.put(key))
                if self.state.ready or not in_flight:
                    continue
                future, chunk, executor = in_flight.pop(done_queue.get())
                running[executor] -= 1
                try:
                    batch = future.result()
                except BaseException as error:  # the unit never ran to the end: a worker died, say
                    failed = min(getattr(error, "batch_position", 0), len(chunk) - 1)  # the item it was running
                    self._describe_failure(error, chunk[failed])
                    self._returned(chunk[failed : failed + 1], [], error)
                    if isinstance(error, Exception) and self.policies and self.dropped(chunk[failed], error):
                        self.state.ready.extend(chunk[:failed] + chunk[failed + 1 :])  # none of their results came back
                        continue
                    self._cancel(in_flight)
                    raise
                for instance, result in zip(chunk, batch.outputs):
                    self.finish(instance, result)
                error = None if batch.error is None else restore_error(batch.error)
                self._returned(chunk[: len(batch.outputs) + (error is not None)], batch.outputs, error)
                if error is not None:
                    self._describe_failure(error, chunk[batch.failed])
                    if self.policies and self.dropped(chunk[batch.failed], error):
                        self.state.ready.extend(chunk[batch.failed + 1 :])  # the rest of the unit did not run
                        continue
                    self._cancel(in_flight)
                    raise error
        except BaseException as stop:
            if not isinstance(stop, Exception):  # Ctrl-C or SystemExit: stop the workers, do not wait for them
                self.manager.abort()
            raise
        finally:
            self.manager.finalize()
            if self.progress:
                self.progress.close()
        return self.final_values(base)

    @staticmethod
    def _cancel(in_flight: Mapping[int, tuple[Any, list[Instance], TaskExecutor]]) -> None:
        for future, _, _ in in_flight.values():
            future.cancel()

    def _run_inline(self, program: TaskProgram, instance: Instance, base: Mapping[str, Any]) -> None:
        values = self.prepare(instance, base)
        if values is None:
            return
        calls = self._submitted([instance], [values])
        caches = self._caches([instance], base)
        try:
            outputs = program.run(values, calls[0] if calls else None, caches[0] if caches else None)
        except Exception as error:
            self._returned([instance], [], error)
            self._describe_failure(error, instance)
            if self.policies and self.dropped(instance, error):
                return
            raise
        self.finish(instance, outputs)
        self._returned([instance], [outputs], None)

    def _caches(self, instances: list[Instance], base: Mapping[str, Any]) -> list[TaskCache] | None:
        """Each instance's cache (its nodes' keys and behaviours), when the run caches results."""
        if self.cache is None:
            return None
        if self.keys is None:
            self.keys = KeyBuilder(self.graph, base, self._count)
            self.cache_behaviors = graph_behaviors(self.cache, self.graph)
        out = []
        for name, index in instances:
            keys = {n.name: self.keys.key(n.name, index) for n in self.programs[name].nodes}
            out.append(task_cache(self.cache.url, keys, self.cache_behaviors))
        return out

    def _submitted(self, instances: list[Instance], inputs: list[dict[str, Any]]) -> list[TaskCall] | None:
        """Call ``pre_task_submission`` for each instance; return what names them to the worker's hooks."""
        if self.lifecycle is None:
            return None
        calls = [self.task_call(i, values) for i, values in zip(instances, inputs)]
        for instance, call in zip(instances, calls):
            self.lifecycle.task_submitted(call, self.programs[instance[0]].nodes)
        return calls

    def _returned(self, instances: list[Instance], outputs: list[dict[str, Any]], error: BaseException | None) -> None:
        """Call ``post_task_return`` for instances back from their executor: the last one failed if ``error``."""
        if self.lifecycle is None:
            return
        for position, instance in enumerate(instances):
            failed = error if position >= len(outputs) else None
            result = outputs[position] if position < len(outputs) else None
            self.lifecycle.task_returned(self.task_call(instance, {}), self.programs[instance[0]].nodes, result, failed)

    def _describe_failure(self, error: BaseException, instance: Instance) -> None:
        name, index = instance
        if index:
            add_note(error, f"hamilflow: in task '{name}', item {_block_of(index, self.specs[name].path)}")

    def final_values(self, base: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for name in self.plan.final_vars:
            out[name] = self.state.results[(name, ())] if (name, ()) in self.state.results else base[name]
        return out


def run_plan(
    graph: FunctionGraph,
    plan: Plan,
    base: Mapping[str, Any],
    manager: ExecutionManager | None = None,
    adapter: HamiltonGraphAdapter | None = None,
    progress: bool = False,
    lifecycle: Lifecycle | None = None,
    run_id: str = "",
    cache: CacheSettings | None = None,
) -> dict[str, Any]:
    """Run ``plan`` with values ``base`` (inputs, config, overrides); return the final values."""
    return Runner(graph, plan, manager, adapter, progress, lifecycle, run_id, cache).run(base)
