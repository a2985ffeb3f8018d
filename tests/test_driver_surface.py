"""The rest of Hamilton's Driver and Builder surface: tag filters, displays, cycles, copies, ad-hoc modules."""

from __future__ import annotations

import pytest
from hamilton import driver as hamilton_driver

from hamilflow import ad_hoc_utils, driver
from hamilflow.errors import GraphError
from hamilflow.execution import executors, grouping

TAGGED = """
from hamilton.function_modifiers import tag

@tag(team="ml", tier="gold")
def features(x: int) -> int:
    return x

@tag(team="ops")
def report(features: int) -> int:
    return features

@tag(team=["ml", "ops"])
def shared(features: int) -> int:
    return features

def untagged(report: int) -> int:
    return report
"""


@pytest.mark.parametrize(
    "tag_filter",
    [{"team": "ml"}, {"team": ["ops", "nobody"]}, {"tier": None}, {"team": "ml", "tier": "gold"}, {"absent": None}],
)
def test_tag_filters_select_the_variables_hamilton_selects(module_from_source, tag_filter) -> None:
    module = module_from_source(TAGGED)
    ours = driver.Builder().with_modules(module).build().list_available_variables(tag_filter=tag_filter)
    theirs = hamilton_driver.Builder().with_modules(module).build().list_available_variables(tag_filter=tag_filter)
    assert sorted(v.name for v in ours) == sorted(v.name for v in theirs)


def test_display_upstream_and_downstream_draw_the_right_nodes(module_from_source, tmp_path) -> None:
    dr = driver.Builder().with_modules(module_from_source(TAGGED)).build()
    upstream = dr.display_upstream_of("report", output_file_path=str(tmp_path / "up.dot"))
    assert '"features"' in upstream and '"x"' in upstream and '"untagged"' not in upstream
    assert (tmp_path / "up.dot").read_text() == upstream
    downstream = dr.display_downstream_of("features")
    assert all(f'"{n}"' in downstream for n in ("report", "shared", "untagged")) and '"x"' not in downstream
    with pytest.raises(Exception, match="did you mean 'report'"):
        dr.display_upstream_of("reprot")


def test_has_cycles_is_false_since_a_cyclic_graph_never_builds(module_from_source) -> None:
    dr = driver.Builder().with_modules(module_from_source(TAGGED)).build()
    assert dr.has_cycles(["untagged"]) is False
    cyclic = module_from_source("def a(b: int) -> int:\n    return b\n\ndef b(a: int) -> int:\n    return a\n")
    with pytest.raises(GraphError, match="cycle"):
        driver.Builder().with_modules(cyclic).build()


def test_a_copied_builder_is_independent(module_from_source) -> None:
    module = module_from_source("def doubled(x: int, factor: int = 2) -> int:\n    return x * factor\n")
    first = driver.Builder().with_modules(module).with_config({"factor": 3})
    second = first.copy().with_config({"factor": 5})
    assert first.build().execute(["doubled"], inputs={"x": 1}) == {"doubled": 3}
    assert second.build().execute(["doubled"], inputs={"x": 1}) == {"doubled": 5}


def test_module_overrides_replace_nodes_only_when_allowed(module_from_source) -> None:
    first = module_from_source("def value() -> int:\n    return 1\n")
    second = module_from_source("def value() -> int:\n    return 2\n")
    with pytest.raises(GraphError, match="defined twice"):
        driver.Builder().with_modules(first, second).build()
    ours = driver.Builder().with_modules(first, second).allow_module_overrides().build().execute(["value"])
    theirs = hamilton_driver.Builder().with_modules(first, second).allow_module_overrides().build().execute(["value"])
    assert ours == theirs == {"value": 2}


def test_a_temporary_module_runs_in_process_and_on_worker_processes() -> None:
    def base(x: int) -> int:
        return x + 1

    def doubled(base: int) -> int:
        return 2 * base

    module = ad_hoc_utils.create_temporary_module(base, doubled)
    assert driver.Builder().with_modules(module).build().execute(["doubled"], inputs={"x": 1}) == {"doubled": 4}
    dr = (
        driver.Builder()
        .with_modules(module)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_local_executor(executors.MultiProcessingExecutor(2))
        .with_grouping_strategy(grouping.GroupNodesIndividually())
        .build()
    )
    assert dr.execute(["doubled"], inputs={"x": 1}) == {"doubled": 4}


def test_grouping_by_level_puts_independent_nodes_together(module_from_source) -> None:
    module = module_from_source(TAGGED)
    dr = (
        driver.Builder()
        .with_modules(module)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_grouping_strategy(grouping.GroupNodesByLevel())
        .build()
    )
    assert dr.execute(["untagged", "shared"], inputs={"x": 4}) == {"untagged": 4, "shared": 4}
    from hamilflow.execution.plan import build_plan

    plan = build_plan(dr.graph, ["untagged", "shared"], grouping=grouping.GroupNodesByLevel())
    assert [t.nodes for t in plan.tasks] == [("features",), ("report", "shared"), ("untagged",)]
