"""The local task runner: routing, bookkeeping that grows with the work, failures, overrides.

Executor-by-executor behaviour is in ``test_executors.py``; here the runner itself is
checked with the in-process executors, and with executors that record what they ran.
"""

from __future__ import annotations

import textwrap
import types
from collections import Counter
from typing import Any, Mapping

import pytest

from hamilflow import driver
from hamilflow.errors import ExecutionRequestError
from hamilflow.execution import executors, grouping
from hamilflow.execution.plan import build_plan
from hamilflow.execution.runner import Runner, run_plan
from hamilflow.graph import FunctionGraph
from tests.resources.dynamic import map_reduce, nested, scale


def module_from(source: str, name: str = "pipeline") -> types.ModuleType:
    module = types.ModuleType(name)
    exec(textwrap.dedent(source), module.__dict__)
    return module


def dynamic_driver(*modules: types.ModuleType, **builder_calls: Any) -> driver.Driver:
    builder = driver.Builder().with_modules(*modules).enable_dynamic_execution(allow_experimental_mode=True)
    for method, argument in builder_calls.items():
        builder = getattr(builder, method)(argument)
    return builder.build()


# ---------------------------------------------------------------------------- bookkeeping
class CountingRunner(Runner):
    """The real runner, counting its bookkeeping work (nothing is timed)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.work: Counter = Counter()

    def open_scope(self, path: tuple[str, ...], index: tuple[int, ...]) -> None:
        self.work["scopes opened"] += 1
        self.work["instances created"] += len(self.plan.tasks_at.get(path, ()))
        super().open_scope(path, index)

    def fire(self, event: tuple) -> None:
        self.work["events fired"] += 1
        self.work["instances woken"] += len(self.state.waiters.get(event, ()))
        super().fire(event)

    def inputs_for(self, instance: tuple, base: Mapping[str, Any]) -> dict[str, Any]:
        values = super().inputs_for(instance, base)
        self.work["values read"] += sum(len(v) if isinstance(v, list) else 1 for v in values.values())
        return values


def test_bookkeeping_grows_linearly_with_items() -> None:
    graph = FunctionGraph.from_modules(scale)
    plan = build_plan(graph, ["total"])
    work = {}
    for m in (0, 20_000, 40_000):
        runner = CountingRunner(graph, plan)
        assert runner.run({"m": m}) == {"total": sum(2 * (i + 7) for i in range(m))}
        assert not runner.state.waiting and not runner.state.waiters  # nothing left waiting
        work[m] = runner.work
    for m in (20_000, 40_000):
        # one task instance per item (the block is one task), plus the 3 top-level tasks
        assert work[m]["instances created"] == m + 3
        assert work[m]["scopes opened"] == m + 1
    for counter in work[0]:
        # every count lies on a line through m = 0, 20k, 40k: no term grows faster than the items
        assert work[40_000][counter] - work[20_000][counter] == work[20_000][counter] - work[0][counter], counter


def test_a_chain_of_thousands_of_nodes_inside_a_block_runs_without_recursion() -> None:
    depth = 1500
    lines = ["from hamilflow.htypes import Collect, Parallelizable", "def step0(n: int) -> Parallelizable[int]:"]
    lines.append("    return range(n)")
    for i in range(1, depth):
        lines += [f"def step{i}(step{i - 1}: int) -> int:", f"    return step{i - 1} + 1"]
    lines += [f"def total(step{depth - 1}: Collect[int]) -> int:", f"    return sum(step{depth - 1})"]
    module = module_from("\n".join(lines))
    for strategy in ("GroupByRepeatableBlocks", "GroupNodesIndividually"):
        from hamilflow.execution import grouping

        dr = dynamic_driver(module, with_grouping_strategy=getattr(grouping, strategy)())
        assert dr.execute(["total"], inputs={"n": 3}) == {"total": sum(i + depth - 1 for i in range(3))}


# ---------------------------------------------------------------------------- routing
class RecordingThreads(executors.MultiThreadingExecutor):
    """A real thread pool that remembers which task each item it ran belongs to."""

    def __init__(self) -> None:
        super().__init__(max_tasks=2)
        self.ran: list[str] = []

    def submit(self, fn, *args):
        program, batch = args
        self.ran.extend([program.name] * len(batch))
        return super().submit(fn, *args)


class RecordingLocal(executors.SynchronousLocalTaskExecutor):
    """The synchronous executor, made to go through ``submit`` so that it can record."""

    inline = False

    def __init__(self) -> None:
        self.ran: list[str] = []

    def submit(self, fn, *args):
        program, batch = args
        self.ran.extend([program.name] * len(batch))
        return super().submit(fn, *args)


def test_default_manager_sends_block_tasks_remote_and_the_rest_local() -> None:
    local, remote = RecordingLocal(), RecordingThreads()
    dr = (
        driver.Builder()
        .with_modules(map_reduce)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_local_executor(local)
        .with_remote_executor(remote)
        .build()
    )
    assert dr.execute(["total_words"]) == {"total_words": 78}
    assert local.ran == ["url", "total_words"]
    assert remote.ran == ["url_loaded__counts"] * len(map_reduce.URLS)


def test_default_manager_routes_nested_blocks_by_their_path() -> None:
    local, remote = RecordingLocal(), RecordingThreads()
    manager = executors.DefaultExecutionManager(local, remote)
    dr = dynamic_driver(nested, with_execution_manager=manager)
    inputs = dict(n_rows=2, n_cols=3, n_planes=2, n_lines=2, n_points=2, delay=0.0)
    dr.execute(["grid", "grand_total", "cube"], inputs=inputs)
    plan = build_plan(dr.graph, ["grid", "grand_total", "cube"])
    top = {t.name for t in plan.tasks if not t.path}
    assert set(local.ran) == top == {"row", "plane", "grid", "grand_total", "cube"}
    assert set(remote.ran) == {t.name for t in plan.tasks if t.path}
    assert Counter(remote.ran)["cell_value"] == 2 * 3  # one per (row, cell)
    assert Counter(remote.ran)["point_code"] == (2 * 2 + 1 * 2)  # plane 0: 2 lines, plane 1: 1 line; 2 points each


def test_run_plan_without_a_manager_runs_everything_in_process() -> None:
    graph = FunctionGraph.from_modules(map_reduce)
    assert run_plan(graph, build_plan(graph, ["total_words", "url"]), {}) == {
        "total_words": 78,
        "url": map_reduce.URLS,
    }


# ---------------------------------------------------------------------------- failures
FAILING_GRID = """
from hamilflow.htypes import Collect, Parallelizable

class CellBroken(Exception):
    pass

def prepared(n: int) -> int:
    if n < 0:
        raise ValueError("n must not be negative")
    return n

def row(prepared: int) -> Parallelizable[int]:
    return range(prepared)

def cell(row: int, prepared: int) -> Parallelizable[int]:
    return range(prepared)

def checked(cell: int, row: int) -> int:
    if (row, cell) == (1, 2):
        raise CellBroken(f"cell {row},{cell}")
    return cell

def per_row(checked: Collect[int]) -> int:
    return sum(checked)

def total(per_row: Collect[int]) -> int:
    return sum(per_row)
"""


@pytest.mark.parametrize("remote", ["synchronous", "threads"])
def test_a_failure_in_a_nested_block_names_the_node_and_every_index(remote: str) -> None:
    module = module_from(FAILING_GRID, "failing_grid")
    executor = (
        executors.SynchronousLocalTaskExecutor() if remote == "synchronous" else executors.MultiThreadingExecutor(2)
    )
    dr = dynamic_driver(module, with_remote_executor=executor)
    with pytest.raises(module.CellBroken) as caught:
        dr.execute(["total"], inputs={"n": 4})
    notes = caught.value.__notes__
    assert any("node 'checked' (failing_grid.checked" in note for note in notes), notes
    assert any("item row[1], cell[2]" in note for note in notes), notes


def test_a_failure_outside_blocks_names_the_node_only() -> None:
    module = module_from(FAILING_GRID, "failing_grid")
    with pytest.raises(ValueError, match="must not be negative") as caught:
        dynamic_driver(module).execute(["total"], inputs={"n": -1})
    assert caught.value.__notes__ == [f"hamilflow: raised in node 'prepared' ({module_where(module, 'prepared')})"]


def module_where(module: types.ModuleType, name: str) -> str:
    return f"{module.__name__}.{name} (line {getattr(module, name).__code__.co_firstlineno})"


# ---------------------------------------------------------------------------- requests
def test_overriding_a_node_upstream_of_a_block_feeds_the_block() -> None:
    module = module_from(FAILING_GRID, "grid")
    dr = dynamic_driver(module)
    # rows 0..2, cells 0..2: row 1 cell 2 raises unless the override keeps prepared below 3
    assert dr.execute(["total"], inputs={"n": 99}, overrides={"prepared": 2}) == {"total": 2 * (0 + 1)}
    with pytest.raises(module.CellBroken):
        dr.execute(["total"], inputs={"n": 0}, overrides={"prepared": 3})


def test_overriding_an_expander_or_an_in_block_value_is_refused_clearly() -> None:
    dr = dynamic_driver(map_reduce)
    with pytest.raises(ExecutionRequestError) as caught:
        dr.execute(["total_words"], overrides={"url": ["https://example.com/page/1"]})
    message = str(caught.value)
    assert "override 'url' replaces a Parallelizable[] node" in message
    assert "tests.resources.dynamic.map_reduce.url" in message and "'url_loaded'" in message
    assert "Override the inputs of 'url'" in message
    with pytest.raises(ExecutionRequestError, match="once per item of the Parallelizable block 'url'"):
        dr.execute(["total_words"], overrides={"counts": 3})
    # overriding what a block computes is fine when nothing left to run reads it item by item
    assert dr.execute(["total_words"], overrides={"total_words": 5}) == {"total_words": 5}
    assert dr.execute(["url"], overrides={"url": ["x"]}) == {"url": ["x"]}


def test_unknown_outputs_are_reported_not_a_key_error() -> None:
    dr = dynamic_driver(map_reduce)
    with pytest.raises(ExecutionRequestError, match="unknown output 'total_word'.*Did you mean 'total_words'"):
        dr.execute(["total_word"])


# ---------------------------------------------------------------------------- memory
LIVE_VALUES = """
class Big:
    live = 0
    peak = 0

    def __init__(self):
        Big.live += 1

    def __del__(self):
        Big.live -= 1

def _seen():
    Big.peak = max(Big.peak, Big.live)

def a(seed: int) -> Big:
    return Big()

def b(a: Big) -> Big:
    _seen()
    return Big()

def c(b: Big) -> Big:
    _seen()
    return Big()

def d(c: Big) -> Big:
    _seen()
    return Big()

def e(d: Big) -> Big:
    _seen()
    return Big()

def f(e: Big) -> Big:
    _seen()
    return Big()
"""


@pytest.mark.parametrize(
    "how",
    ["in-process", "dynamic, one task per node", "dynamic, one task", "threads, one task per node"],
)
def test_each_value_is_released_once_its_last_reader_has_run(module_from_source, how: str) -> None:
    module = module_from_source(LIVE_VALUES)
    builder = driver.Builder().with_modules(module)
    if how != "in-process":
        builder = builder.enable_dynamic_execution(allow_experimental_mode=True)
        strategy = grouping.GroupNodesAllAsOne() if how == "dynamic, one task" else grouping.GroupNodesIndividually()
        builder = builder.with_grouping_strategy(strategy)
        if how.startswith("threads"):
            builder = builder.with_local_executor(executors.MultiThreadingExecutor(2))
    result = builder.build().execute(["f"], inputs={"seed": 1})
    assert isinstance(result["f"], module.Big)
    # when each node starts, only its own input is alive: the chain's earlier values are gone
    assert module.Big.peak == 1
    del result
    assert module.Big.live == 0


def test_values_inside_blocks_and_the_items_are_released_as_the_run_goes() -> None:
    graph = FunctionGraph.from_modules(scale)
    plan = build_plan(graph, ["total"], grouping=grouping.GroupNodesIndividually())
    runner = Runner(graph, plan)
    peak = 0
    finish = runner.finish

    def tracking_finish(instance, outputs):
        nonlocal peak
        finish(instance, outputs)
        peak = max(peak, len(runner.state.results))

    runner.finish = tracking_finish
    assert runner.run({"m": 2_000}) == {"total": sum(2 * (i + 7) for i in range(2_000))}
    assert runner.state.results.keys() == {("total", ())} and not runner.state.readers  # only the output is left
    # the collected values wait for the collector; each item's 'shifted' goes once 'doubled' has read it
    # (kept to the end of the run, the two per-item values alone would be 4,000 entries)
    assert 2_000 <= peak <= 2_000 + 10


# ---------------------------------------------------------------------------- a block reading its own collector
@pytest.mark.parametrize("strategy", ["default", "individually", "all as one", "chains"])
@pytest.mark.parametrize("executor", ["sync", "threads", "processes"])
def test_a_block_node_can_read_the_collector_of_its_own_block(strategy: str, executor: str) -> None:
    from tests.resources.dynamic import centred

    strategies = {
        "default": grouping.GroupByRepeatableBlocks(),
        "individually": grouping.GroupNodesIndividually(),
        "all as one": grouping.GroupNodesAllAsOne(),
        "chains": grouping.GroupLinearChains(),
    }
    remote = {
        "sync": executors.SynchronousLocalTaskExecutor(),
        "threads": executors.MultiThreadingExecutor(2),
        "processes": executors.MultiProcessingExecutor(2),
    }[executor]
    dr = dynamic_driver(centred, with_grouping_strategy=strategies[strategy], with_remote_executor=remote)
    squares = [float(i * i) for i in range(5)]
    mean = sum(squares) / 5
    expected = {"spread": max(squares) - min(squares), "mean": mean}
    assert dr.execute(["spread", "mean"], inputs={"n": 5}) == expected
    assert dr.execute(["spread", "mean"], inputs={"n": 0}) == {"spread": 0.0, "mean": 0.0}


def test_an_item_whose_value_cannot_leave_its_worker_process_is_named(module_from_source) -> None:
    module = module_from_source(
        "import threading\n"
        "from hamilflow.htypes import Collect, Parallelizable\n"
        "def item(n: int) -> Parallelizable[int]:\n    yield from range(n)\n"
        "def holder(item: int) -> object:\n    return threading.Lock() if item == 3 else item\n"
        "def total(holder: Collect[object]) -> int:\n    return len(holder)\n"
    )
    dr = dynamic_driver(module, with_remote_executor=executors.MultiProcessingExecutor(2))
    with pytest.raises(executors.WorkerError, match="the value of node 'holder' \\(lock\\) cannot be pickled") as info:
        dr.execute(["total"], inputs={"n": 6})
    assert any("item item[3]" in note for note in info.value.__notes__)  # the item itself, not the batch's first
