"""Hamilton's lifecycle adapters on hamilflow: the same calls, per node, as on Apache Hamilton."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hamilton import driver as hamilton_driver
from hamilton.lifecycle import api, default

from hamilflow import driver
from hamilflow.errors import GraphError
from hamilflow.execution import executors, grouping

CHAIN = """
from hamilton.function_modifiers import tag

def doubled(x: int) -> int:
    return x * 2

@tag(team="ml")
def shifted(doubled: int, offset: int = 3) -> int:
    return doubled + offset

def label(shifted: int) -> str:
    return f"value={shifted}"
"""

FAILING = """
class Refused(Exception):
    pass

def fine(x: int) -> int:
    return x + 1

def refused(x: int) -> int:
    raise Refused("no")

def after_refused(refused: int) -> int:
    return refused * 10

def after_fine(fine: int) -> int:
    return fine * 10
"""

BLOCK = """
from hamilton.htypes import Collect, Parallelizable

def item(n: int) -> Parallelizable[int]:
    yield from range(n)

def squared(item: int) -> int:
    return item * item

def total(squared: Collect[int]) -> int:
    return sum(squared)
"""


class Recorder(api.NodeExecutionHook, api.GraphExecutionHook):
    """Records every node and graph hook call; with a path, appends them there (for worker processes)."""

    def __init__(self, path: Path | None = None) -> None:
        self.calls: list[tuple] = []
        self.path = path

    def _record(self, *call: Any) -> None:
        self.calls.append(call)
        if self.path is not None:
            with open(self.path, "a") as out:
                out.write(json.dumps(call, default=repr) + "\n")

    def run_before_node_execution(self, *, node_name, node_tags, node_kwargs, node_return_type, **kwargs):
        tags = {k: v for k, v in node_tags.items() if k != "module"}
        self._record("before node", node_name, tags, sorted(node_kwargs.items()), repr(node_return_type))

    def run_after_node_execution(self, *, node_name, result, error, success, **kwargs):
        self._record("after node", node_name, result, type(error).__name__ if error else None, success)

    def run_before_graph_execution(self, *, final_vars, inputs, overrides, execution_path, **kwargs):
        self._record(
            "before graph", list(final_vars), dict(inputs or {}), dict(overrides or {}), sorted(execution_path)
        )

    def run_after_graph_execution(self, *, success, error, results, **kwargs):
        self._record("after graph", success, type(error).__name__ if error else None, results)

    def per_node(self) -> dict[str, list[tuple]]:
        found: dict[str, list[tuple]] = {}
        for call in self.calls:
            key = call[1] if call[0].endswith("node") else call[0]
            found.setdefault(key, []).append(call)
        return found


class Tripler(api.NodeExecutionMethod):
    """Runs each node and triples integer results: a NodeExecutionMethod that changes values."""

    def run_to_execute_node(self, *, node_callable, node_kwargs, **future_kwargs):
        result = node_callable(**node_kwargs)
        return result * 3 if isinstance(result, int) else result


class SortedKeys(api.ResultBuilder):
    def build_result(self, **outputs: Any) -> Any:
        return sorted(outputs)


class AcceptAnything(api.EdgeConnectionHook):
    def check_edge_types_match(self, type_from, type_to, **kwargs) -> bool:
        return True

    def validate_input(self, node_type, input_value, **kwargs) -> bool:
        return True


class NoUntagged(api.StaticValidator):
    def run_to_validate_node(self, *, node, **future_kwargs):
        if node.tags.get("module") and "team" not in node.tags:
            return False, f"{node.name} has no team tag"
        return True, None

    def run_to_validate_graph(self, graph, **future_kwargs):
        return True, None


class Constructed(api.GraphConstructionHook):
    def __init__(self) -> None:
        self.seen: list[tuple] = []

    def run_after_graph_construction(self, *, graph, config, **future_kwargs):
        self.seen.append((sorted(n.name for n in graph.nodes), dict(config)))


def _both(module, adapters_of, outputs, inputs, config=None, dynamic=False):
    """Run on Hamilton and on hamilflow, each with fresh adapters from ``adapters_of()``; return both."""
    runs = []
    for builder in (hamilton_driver.Builder(), driver.Builder()):
        adapters = adapters_of()
        builder = builder.with_modules(module).with_config(config or {}).with_adapters(*adapters)
        if dynamic:
            builder = builder.enable_dynamic_execution(allow_experimental_mode=True)
        runs.append((builder.build().execute(outputs, inputs=inputs), adapters))
    return runs


def test_node_and_graph_hooks_receive_the_same_calls_per_node(module_from_source) -> None:
    module = module_from_source(CHAIN)
    (theirs, [hamilton_recorder]), (ours, [recorder]) = _both(module, lambda: [Recorder()], ["label"], {"x": 2})
    assert ours == theirs == {"label": "value=7"}
    assert recorder.per_node() == hamilton_recorder.per_node()
    assert [c[0] for c in recorder.calls][0] == "before graph" and recorder.calls[-1][0] == "after graph"


def test_a_failing_node_is_reported_to_the_hooks_as_hamilton_reports_it(module_from_source) -> None:
    module = module_from_source(FAILING)
    recorders = []
    for builder in (hamilton_driver.Builder(), driver.Builder()):
        recorder = Recorder()
        dr = builder.with_modules(module).with_adapters(recorder).build()
        with pytest.raises(module.Refused):
            dr.execute(["after_refused"], inputs={"x": 1})
        recorders.append(recorder)
    theirs, ours = (r.per_node() for r in recorders)
    assert ours["refused"] == theirs["refused"]  # before, then after with success False and the error
    assert ours["after graph"] == theirs["after graph"]


def test_a_node_execution_method_replaces_how_nodes_run(module_from_source) -> None:
    module = module_from_source(CHAIN)
    (theirs, _), (ours, _) = _both(module, lambda: [Tripler()], ["label", "shifted"], {"x": 2})
    assert ours == theirs


def test_hamiltons_graceful_error_adapter_prunes_the_failed_branch(module_from_source) -> None:
    module = module_from_source(FAILING)
    outputs = ["after_refused", "after_fine"]

    def adapters():
        return [default.GracefulErrorAdapter(error_to_catch=module.Refused, sentinel_value=None)]

    (theirs, _), (ours, _) = _both(module, adapters, outputs, {"x": 1})
    assert ours == theirs == {"after_refused": None, "after_fine": 20}


def test_hamiltons_type_checker_refuses_a_wrong_return_type(module_from_source) -> None:
    module = module_from_source("def lies(x: int) -> str:\n    return x\n")
    errors = []
    for builder in (hamilton_driver.Builder(), driver.Builder()):
        dr = builder.with_modules(module).with_adapters(default.FunctionInputOutputTypeChecker()).build()
        with pytest.raises(TypeError) as info:
            dr.execute(["lies"], inputs={"x": 1})
        errors.append(str(info.value))
    assert errors[0] == errors[1]


def test_hamiltons_println_prints_the_same_lines(module_from_source, capsys) -> None:
    module = module_from_source(CHAIN)
    printed = []
    for builder in (hamilton_driver.Builder(), driver.Builder()):
        dr = builder.with_modules(module).with_adapters(default.PrintLn(verbosity=2)).build()
        dr.execute(["label"], inputs={"x": 2})
        text = re.sub(r"\d+(\.\d+)?(ms|s|µs|μs)\b", "<time>", capsys.readouterr().out)
        printed.append(sorted(line for line in text.splitlines() if line.strip()))
    assert printed[0] == printed[1] and printed[0]


def test_a_result_builder_adapter_shapes_what_execute_returns(module_from_source) -> None:
    module = module_from_source(CHAIN)
    (theirs, _), (ours, _) = _both(module, lambda: [SortedKeys()], ["shifted", "doubled"], {"x": 2})
    assert ours == theirs == ["doubled", "shifted"]


def test_an_edge_connection_hook_can_accept_an_edge_and_an_input(module_from_source) -> None:
    module = module_from_source(
        "def text() -> str:\n    return '1'\n\ndef number(text: int, y: int) -> int:\n    return y\n"
    )
    (theirs, _), (ours, _) = _both(module, lambda: [AcceptAnything()], ["number"], {"y": "not an int"})
    assert ours == theirs == {"number": "not an int"}


def test_a_static_validator_refuses_the_graph_at_build_time(module_from_source) -> None:
    module = module_from_source(CHAIN)
    with pytest.raises(Exception, match="has no team tag") as theirs:  # noqa: PT011 - Hamilton's own exception
        hamilton_driver.Builder().with_modules(module).with_adapters(NoUntagged()).build()
    with pytest.raises(GraphError, match="has no team tag") as ours:
        driver.Builder().with_modules(module).with_adapters(NoUntagged()).build()
    assert "doubled has no team tag" in str(theirs.value) and "doubled has no team tag" in str(ours.value)
    assert "shifted" not in str(ours.value)  # tagged: it passes
    assert isinstance(ours.value, type(theirs.value))  # a ported `except ValidationException` still catches it


def test_a_graph_construction_hook_sees_the_graph_modules_and_config(module_from_source) -> None:
    module = module_from_source(CHAIN)
    seen = []
    for builder in (hamilton_driver.Builder(), driver.Builder()):
        hook = Constructed()
        builder.with_modules(module).with_config({"offset": 1}).with_adapters(hook).build()
        seen.append(hook.seen)
    assert seen[0] == seen[1] and seen[0][0][1] == {"offset": 1}


@pytest.mark.parametrize("executor", ["sync", "threads", "processes"])
def test_node_hooks_run_for_every_item_on_every_executor(module_from_source, tmp_path, executor) -> None:
    module = module_from_source(BLOCK)
    remote = {
        "sync": executors.SynchronousLocalTaskExecutor(),
        "threads": executors.MultiThreadingExecutor(2),
        "processes": executors.MultiProcessingExecutor(2),
    }[executor]
    ours_path, theirs_path = tmp_path / "ours.jsonl", tmp_path / "theirs.jsonl"
    ours = (
        driver.Builder()
        .with_modules(module)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(remote)
        .with_grouping_strategy(grouping.GroupNodesIndividually())
        .with_adapters(Recorder(ours_path))
        .build()
        .execute(["total"], inputs={"n": 4})
    )
    theirs = (
        hamilton_driver.Builder()
        .with_modules(module)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_adapters(Recorder(theirs_path))
        .build()
        .execute(["total"], inputs={"n": 4})
    )
    assert ours == theirs == {"total": 14}

    def node_calls(path: Path) -> list:
        calls = [json.loads(line) for line in path.read_text().splitlines()]
        return sorted(json.dumps(c) for c in calls if c[0].endswith("node"))

    assert node_calls(ours_path) == node_calls(theirs_path)
    assert len(node_calls(ours_path)) == 2 * (1 + 4 + 1)  # before and after: the expander, 4 items, the collector


GRACEFUL_BLOCK = """
from hamilton.htypes import Collect, Parallelizable

class DoNotProceed(Exception):
    pass

def start_point() -> Parallelizable[int]:
    for i in range(5):
        if i == 3:
            raise DoNotProceed()
        yield i

def inner(start_point: int) -> int:
    return start_point

def gather(inner: Collect[int]) -> list:
    return inner
"""


@pytest.mark.parametrize("try_all_parallel", [True, False])
def test_hamiltons_graceful_error_adapter_on_a_parallelizable_node(module_from_source, try_all_parallel) -> None:
    module = module_from_source(GRACEFUL_BLOCK)

    def adapters():
        return [
            default.GracefulErrorAdapter(
                error_to_catch=module.DoNotProceed, sentinel_value=None, try_all_parallel=try_all_parallel
            )
        ]

    (theirs, _), (ours, _) = _both(module, adapters, ["gather"], {}, dynamic=True)
    assert ours == theirs == {"gather": [0, 1, 2, None] if try_all_parallel else [None]}


class TaskRecorder(api.TaskExecutionHook, api.TaskSubmissionHook, api.TaskReturnHook, api.TaskGroupingHook):
    """Records every task-level hook call; appends them to ``path`` so worker processes' calls are seen."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _record(self, *call: Any) -> None:
        with open(self.path, "a") as out:
            out.write(json.dumps(call, default=repr) + "\n")

    def run_before_task_submission(self, *, task_id, nodes, inputs, purpose, spawning_task_id, **kwargs):
        self._record("submitted", task_id, [n.name for n in nodes], sorted(inputs), purpose.value, spawning_task_id)

    def run_before_task_execution(self, *, task_id, nodes, inputs, purpose, spawning_task_id, **kwargs):
        self._record("before task", task_id, [n.name for n in nodes], sorted(inputs), purpose.value, spawning_task_id)

    def run_after_task_execution(self, *, task_id, results, success, error, **kwargs):
        self._record("after task", task_id, success, type(error).__name__ if error else None)

    def run_after_task_return(self, *, task_id, success, error, **kwargs):
        self._record("returned", task_id, success, type(error).__name__ if error else None)

    def run_after_task_grouping(self, *, task_ids, **kwargs):
        self._record("grouped", len(task_ids))

    def run_after_task_expansion(self, *, task_id, parameters, **kwargs):
        self._record("expanded", task_id, parameters)


def _task_calls(path: Path) -> list[list]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("executor", ["sync", "threads", "processes"])
def test_task_hooks_name_every_instance_as_hamilton_does(module_from_source, tmp_path, executor) -> None:
    """Each block item is a task ``<expander task>.<item>.<task>`` spawned by the expander's task; every task is
    submitted, executed (in the worker) and returned once, in that order; the expansion lists the items.

    Hamilton's task ids differ by design (``expand-item``, ``block-item``: its tasks are made by a different
    grouping, and it makes a task of each input), so the test compares the structure Hamilton gives, not names.
    """
    module = module_from_source(BLOCK)
    remote = {
        "sync": executors.SynchronousLocalTaskExecutor(),
        "threads": executors.MultiThreadingExecutor(2),
        "processes": executors.MultiProcessingExecutor(2),
    }[executor]
    ours_path, theirs_path = tmp_path / "ours.jsonl", tmp_path / "theirs.jsonl"
    for builder, path in ((driver.Builder(), ours_path), (hamilton_driver.Builder(), theirs_path)):
        builder = builder.with_modules(module).enable_dynamic_execution(allow_experimental_mode=True)
        if path is ours_path:
            builder = builder.with_remote_executor(remote)
        dr = builder.with_adapters(TaskRecorder(path)).build()
        assert dr.execute(["total"], inputs={"n": 3}) == {"total": 5}
    ours, theirs = _task_calls(ours_path), _task_calls(theirs_path)

    def expansion(calls):
        return [c[2] for c in calls if c[0] == "expanded"]

    assert expansion(ours) == expansion(theirs) == [{"0": 0, "1": 1, "2": 2}]
    items = sorted(c[1] for c in ours if c[0] == "before task" and c[5] == "item")
    assert items == ["item.0.squared", "item.1.squared", "item.2.squared"]

    def by_purpose(calls):
        return sorted((c[4], c[2], c[3]) for c in calls if c[0] == "before task" and c[4] != "execute_single")

    assert by_purpose(ours) == [
        ("execute_block", ["squared"], ["item"]),
        ("execute_block", ["squared"], ["item"]),
        ("execute_block", ["squared"], ["item"]),
        ("expand_unordered", ["item"], ["n"]),
        ("gather", ["total"], ["squared"]),
    ]
    assert by_purpose(ours) == by_purpose(theirs)
    for task_id in {c[1] for c in ours if c[0] == "submitted"}:
        sequence = [c[0] for c in ours if c[0] != "grouped" and c[0] != "expanded" and c[1] == task_id]
        assert sequence == ["submitted", "before task", "after task", "returned"], task_id
    assert ours[0] == ["grouped", 3]


def test_a_failing_task_is_reported_to_the_task_hooks(module_from_source, tmp_path) -> None:
    module = module_from_source(FAILING)
    path = tmp_path / "calls.jsonl"
    dr = (
        driver.Builder()
        .with_modules(module)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(executors.MultiProcessingExecutor(2))
        .with_adapters(TaskRecorder(path))
        .build()
    )
    with pytest.raises(module.Refused):
        dr.execute(["after_refused"], inputs={"x": 1})
    calls = _task_calls(path)
    assert ["after task", "refused", False, "Refused"] in calls
    assert ["returned", "refused", False, "Refused"] in calls
    assert not any(c[1] == "after_refused" for c in calls if c[0] != "grouped")
