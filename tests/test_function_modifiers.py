"""@config.when / when_not / when_in / when_not_in and @tag, seen through the graph and the Driver."""

from __future__ import annotations

import pytest

from hamilflow import base, driver
from hamilflow.errors import GraphError
from hamilflow.function_modifiers import config, modifiers_of, resolve_function, tag
from hamilflow.graph import FunctionGraph
from tests.resources.core import variants


def _dict_driver(cfg: dict, *modules) -> driver.Driver:
    return driver.Driver(cfg, *modules, adapter=base.DefaultAdapter())


# --------------------------------------------------------------------------- config.when & co
@pytest.mark.parametrize(
    ("cfg", "score", "vat"),
    [
        ({"mode": "fast", "region": "eu"}, 7, 0.2),
        ({"mode": "fast", "region": "uk"}, 7, 0.2),
        ({"mode": "exact", "region": "us"}, 70, 0.0),
        ({}, 70, 0.0),  # a missing key: when/when_in are false, when_not/when_not_in are true
    ],
)
def test_config_chooses_the_implementation(cfg: dict, score: int, vat: float) -> None:
    dr = _dict_driver(cfg, variants)
    assert dr.execute(["score", "vat"], inputs={"x": 7}) == {"score": score, "vat": vat}


def test_suffix_is_dropped_from_the_node_name() -> None:
    graph = FunctionGraph.from_modules(variants, config={"mode": "fast", "region": "eu", "debug": True})
    assert {"score", "vat", "debug_info", "price", "x"} == set(graph.nodes)
    assert not any("__" in name for name in graph.nodes)
    assert graph.nodes["score"].function_name == "score__fast"
    assert graph.nodes["vat"].function_name == "vat__europe"


def test_all_conditions_of_a_function_must_hold() -> None:
    # debug_info__fast needs mode == "fast" AND debug == True
    assert "debug_info" not in FunctionGraph.from_modules(variants, config={"mode": "fast"}).nodes
    assert "debug_info" not in FunctionGraph.from_modules(variants, config={"debug": True}).nodes
    assert "debug_info" in FunctionGraph.from_modules(variants, config={"mode": "fast", "debug": True}).nodes


def test_resolve_function_directly() -> None:
    @config.when_in(color=["red", "blue"])
    def paint__primary() -> str:
        return "primary"

    assert resolve_function(paint__primary, {"color": "red"}) == (True, "paint")
    assert resolve_function(paint__primary, {"color": "green"}) == (False, "paint")
    assert resolve_function(paint__primary, {}) == (False, "paint")

    @config.when_not_in(color=["red"])
    def paint__other() -> str:
        return "other"

    assert resolve_function(paint__other, {"color": "green"}) == (True, "paint")
    assert resolve_function(paint__other, {"color": "red"}) == (False, "paint")


def test_an_undecorated_double_underscore_name_is_kept() -> None:
    def raw__name() -> int:
        return 1

    assert resolve_function(raw__name, {}) == (True, "raw__name")


def test_explicit_node_name() -> None:
    @config.when(name="renamed", flag=True)
    def whatever() -> int:
        return 1

    assert resolve_function(whatever, {"flag": True}) == (True, "renamed")


def test_decorators_leave_the_function_callable_and_unwrapped() -> None:
    assert variants.score__fast(3) == 3
    assert variants.price(2, 0.5) == 3.0
    assert variants.price.__name__ == "price"
    assert modifiers_of(variants.price).tags["owner"] == "pricing"


def test_two_implementations_that_both_apply_are_a_duplicate(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.function_modifiers import config\n"
        "@config.when(mode='a')\n"
        "def out__one() -> int:\n    return 1\n"
        "@config.when_not(mode='b')\n"
        "def out__two() -> int:\n    return 2\n",
        name="overlapping",
    )
    only_two = FunctionGraph.from_modules(module, config={"mode": "c"})
    assert only_two.nodes["out"].function_name == "out__two"
    with pytest.raises(GraphError) as info:
        FunctionGraph.from_modules(module, config={"mode": "a"})
    (problem,) = info.value.problems
    assert "'out' is defined twice" in problem
    assert "overlapping.out__one" in problem and "overlapping.out__two" in problem
    assert "@config.when" in problem


def test_when_no_implementation_applies_the_value_becomes_an_input(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.function_modifiers import config\n"
        "@config.when(mode='a')\n"
        "def base__a() -> int:\n    return 1\n"
        "def doubled(base: int) -> int:\n    return base * 2\n"
    )
    dr = _dict_driver({"mode": "z"}, module)
    assert dr.graph.nodes["base"].is_external_input
    assert dr.execute(["doubled"], inputs={"base": 5}) == {"doubled": 10}
    assert _dict_driver({"mode": "a"}, module).execute(["doubled"]) == {"doubled": 2}


# --------------------------------------------------------------------------- tag
def test_tags_are_listed_by_the_driver() -> None:
    dr = _dict_driver({"mode": "fast", "debug": True}, variants)
    by_name = {v.name: v for v in dr.list_available_variables()}
    assert by_name["price"].tags == {"owner": "pricing", "pii": "false", "airflow_retries": "2"}
    assert by_name["debug_info"].tags == {"team": "ml"}  # tag and config.when combine
    assert by_name["score"].tags == {}
    assert by_name["x"].tags == {}


def test_stacked_tags_merge_and_the_inner_one_is_overridden_by_the_outer() -> None:
    @tag(owner="outer", extra="yes")
    @tag(owner="inner", kept="1")
    def fn() -> int:
        return 1

    assert modifiers_of(fn).tags == {"owner": "outer", "extra": "yes", "kept": "1"}


def test_tag_values_of_the_accepted_kinds() -> None:
    @tag(a="s", b=1, c=2.5, d=True, e=["x", "y"], f=("z",))
    def fn() -> int:
        return 1

    assert modifiers_of(fn).tags["e"] == ["x", "y"]


@pytest.mark.parametrize("bad", [{"k": "v"}, None, [1, 2], object()])
def test_tag_refuses_other_values_naming_the_tag(bad: object) -> None:
    with pytest.raises(TypeError) as info:
        tag(owner="ok", weird=bad)
    message = str(info.value)
    assert "weird" in message and type(bad).__name__ in message
    assert "strings" in message  # says what is allowed
