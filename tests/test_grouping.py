"""Grouping strategies: which tasks each one makes, and that all of them compute the same values."""

from __future__ import annotations

import textwrap
import types

import pytest

from hamilflow import driver
from hamilflow.errors import HamilflowError
from hamilflow.execution import executors, grouping
from hamilflow.execution.plan import build_plan
from hamilflow.graph import FunctionGraph
from tests.resources.dynamic import map_reduce, multi_collect, nested

STRATEGIES = {
    "blocks": grouping.GroupByRepeatableBlocks,
    "individually": grouping.GroupNodesIndividually,
    "all-as-one": grouping.GroupNodesAllAsOne,
    "linear-chains": grouping.GroupLinearChains,
}
MULTI_OUTPUTS = ["pairs", "mixed", "a_items", "summary", "second_total"]
NESTED_OUTPUTS = ["grid", "grand_total", "cube"]

CHAIN = types.ModuleType("chain")
exec(
    textwrap.dedent(
        """
        def raw(n: int) -> int:
            return n
        def cleaned(raw: int) -> int:
            return raw + 1
        def scaled(cleaned: int) -> int:
            return cleaned * 10
        def report(scaled: int) -> str:
            return f"report {scaled}"
        def audit(scaled: int) -> str:
            return f"audit {scaled}"
        def combined(report: str, audit: str) -> str:
            return report + " / " + audit
        """
    ),
    CHAIN.__dict__,
)


def tasks(module: types.ModuleType, outputs: list[str], strategy: grouping.GroupingStrategy) -> list[tuple]:
    plan = build_plan(FunctionGraph.from_modules(module), outputs, grouping=strategy)
    return [(t.name, t.nodes, t.path) for t in plan.tasks]


def test_the_default_groups_each_block_stage_into_one_task() -> None:
    assert tasks(multi_collect, MULTI_OUTPUTS, grouping.GroupByRepeatableBlocks()) == [
        ("a", ("a",), ()),
        ("b", ("b",), ()),
        ("a_sq__a_cube", ("a_sq", "a_cube"), ("a",)),
        ("a_items", ("a_items",), ()),
        ("b_up", ("b_up",), ("b",)),
        ("pairs", ("pairs",), ()),
        ("mixed", ("mixed",), ()),
        ("second", ("second",), ()),
        ("summary", ("summary",), ()),
        ("second_diff", ("second_diff",), ("second",)),
        ("second_total", ("second_total",), ()),
    ]
    assert (
        build_plan(FunctionGraph.from_modules(map_reduce), ["total_words"]).tasks
        == build_plan(
            FunctionGraph.from_modules(map_reduce), ["total_words"], grouping=grouping.GroupByRepeatableBlocks()
        ).tasks
    )


def test_the_default_splits_a_block_where_an_inner_collector_sits() -> None:
    found = {
        name: (nodes, path) for name, nodes, path in tasks(nested, NESTED_OUTPUTS, grouping.GroupByRepeatableBlocks())
    }
    assert found["row_label__cell"] == (("row_label", "cell"), ("row",))  # before the inner block
    assert found["cell_value"] == (("cell_value",), ("row", "cell"))  # inside it
    assert found["row_values__row_total"] == (("row_values", "row_total"), ("row",))  # after its collector
    assert found["point_code"] == (("point_code",), ("plane", "line", "point"))  # depth 3
    assert {name for name, (_, path) in found.items() if not path} == {"row", "plane", "grid", "grand_total", "cube"}


def test_individually_makes_one_task_per_node() -> None:
    graph = FunctionGraph.from_modules(multi_collect)
    plan = build_plan(graph, MULTI_OUTPUTS, grouping=grouping.GroupNodesIndividually())
    assert [t.nodes for t in plan.tasks] == [(t.name,) for t in plan.tasks]
    assert [t.name for t in plan.tasks] == [n for n in graph.order if not graph.nodes[n].is_external_input]


def test_all_as_one_makes_one_task_per_block_stage() -> None:
    assert tasks(multi_collect, MULTI_OUTPUTS, grouping.GroupNodesAllAsOne()) == [
        ("a__b", ("a", "b"), ()),
        ("a_sq__a_cube", ("a_sq", "a_cube"), ("a",)),
        ("b_up", ("b_up",), ("b",)),  # before the stage that collects it, though its node comes later
        ("a_items__to__summary", ("a_items", "pairs", "mixed", "second", "summary"), ()),
        ("second_diff", ("second_diff",), ("second",)),
        ("second_total", ("second_total",), ()),
    ]
    assert tasks(CHAIN, ["combined"], grouping.GroupNodesAllAsOne()) == [
        ("raw__to__combined", ("raw", "cleaned", "scaled", "report", "audit", "combined"), ())
    ]


def test_linear_chains_merge_only_where_one_node_feeds_only_the_next() -> None:
    assert tasks(CHAIN, ["combined"], grouping.GroupLinearChains()) == [
        ("raw__cleaned__scaled", ("raw", "cleaned", "scaled"), ()),
        ("report", ("report",), ()),
        ("audit", ("audit",), ()),
        ("combined", ("combined",), ()),
    ]
    assert tasks(map_reduce, ["total_words"], grouping.GroupLinearChains()) == [
        ("url", ("url",), ()),  # an expander never merges with its block
        ("url_loaded__counts", ("url_loaded", "counts"), ("url",)),
        ("total_words", ("total_words",), ()),
    ]


@pytest.mark.parametrize("module, outputs", [(nested, NESTED_OUTPUTS), (multi_collect, MULTI_OUTPUTS)])
def test_every_strategy_keeps_each_task_in_one_block_stage(module: types.ModuleType, outputs: list[str]) -> None:
    graph = FunctionGraph.from_modules(module)
    for strategy in STRATEGIES.values():
        plan = build_plan(graph, outputs, grouping=strategy())
        for task in plan.tasks:
            assert {(graph.blocks.path[n], graph.blocks.level[n]) for n in task.nodes} == {
                (task.path, graph.blocks.level[task.nodes[0]])
            }
            assert list(task.nodes) == graph.sorted(task.nodes)


INPUTS = {
    "nested": dict(n_rows=3, n_cols=2, n_planes=2, n_lines=2, n_points=3, delay=0.0),
    "multi_collect": dict(n_a=5, words=["x", "yy", "zzz"], delay=0.0),
}


@pytest.mark.parametrize("module, outputs", [(nested, NESTED_OUTPUTS), (multi_collect, MULTI_OUTPUTS)])
def test_every_strategy_gives_identical_results(module: types.ModuleType, outputs: list[str]) -> None:
    inputs = INPUTS[module.__name__.rsplit(".", 1)[1]]
    results = {}
    for name, strategy in STRATEGIES.items():
        dr = (
            driver.Builder()
            .with_modules(module)
            .enable_dynamic_execution(allow_experimental_mode=True)
            .with_remote_executor(executors.MultiThreadingExecutor(max_tasks=2))
            .with_grouping_strategy(strategy())
            .build()
        )
        results[name] = dr.execute(outputs, inputs=inputs)
    reference = driver.Driver({}, module, adapter=None).raw_execute(outputs, inputs=inputs)  # synchronous, default
    assert all(result == reference for result in results.values()), results


class EverythingTogether(grouping.GroupingStrategy):
    """A broken strategy: one task for nodes of different blocks."""

    def group(self, graph, nodes):
        return [list(nodes)]


def test_a_strategy_that_mixes_blocks_is_refused() -> None:
    with pytest.raises(HamilflowError, match="grouping put nodes of different blocks in one task"):
        build_plan(FunctionGraph.from_modules(map_reduce), ["total_words"], grouping=EverythingTogether())


@pytest.mark.parametrize(
    "strategy",
    [
        grouping.GroupByRepeatableBlocks(),
        grouping.GroupNodesIndividually(),
        grouping.GroupNodesAllAsOne(),
        grouping.GroupLinearChains(),
    ],
    ids=lambda s: type(s).__name__,
)
def test_every_task_comes_after_the_tasks_it_reads(strategy) -> None:
    graph = FunctionGraph.from_modules(multi_collect)
    plan = build_plan(graph, MULTI_OUTPUTS, grouping=strategy)
    done: set[str] = set()
    for task in plan.tasks:
        assert {plan.producer[v] for v in task.inputs} <= done, task.name
        done.add(task.name)
