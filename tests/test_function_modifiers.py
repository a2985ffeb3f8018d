"""Hamilton's decorators, re-exported: @config.when / when_not / when_in / when_not_in and @tag,
seen through hamilflow's graph and Driver."""

from __future__ import annotations

import pytest

from hamilflow import base, driver, function_modifiers
from hamilflow.errors import GraphError
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
    config_keys = {"mode", "region", "debug"}  # as in Hamilton, config values are nodes too
    assert {"score", "vat", "debug_info", "price", "x"} | config_keys == set(graph.nodes)
    assert not any("__" in name for name in graph.nodes)
    assert graph.nodes["score"].function_name == "score__fast"
    assert graph.nodes["vat"].function_name == "vat__europe"


def test_all_conditions_of_a_function_must_hold() -> None:
    # debug_info__fast needs mode == "fast" AND debug == True
    assert "debug_info" not in FunctionGraph.from_modules(variants, config={"mode": "fast"}).nodes
    assert "debug_info" not in FunctionGraph.from_modules(variants, config={"debug": True}).nodes
    assert "debug_info" in FunctionGraph.from_modules(variants, config={"mode": "fast", "debug": True}).nodes


def test_config_when_in_and_when_not_in(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.function_modifiers import config\n"
        "@config.when_in(color=['red', 'blue'])\n"
        "def paint__primary() -> str:\n    return 'primary'\n"
        "@config.when_not_in(color=['red', 'blue'])\n"
        "def paint__other() -> str:\n    return 'other'\n"
    )
    for color, expected in (("red", "primary"), ("blue", "primary"), ("green", "other")):
        assert _dict_driver({"color": color}, module).execute(["paint"]) == {"paint": expected}


def test_an_undecorated_double_underscore_name_is_kept(module_from_source) -> None:
    module = module_from_source("def raw__name() -> int:\n    return 1\n")
    assert set(FunctionGraph.from_modules(module).nodes) == {"raw__name"}


def test_explicit_node_name(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.function_modifiers import config\n"
        "@config.when(name='renamed', flag=True)\n"
        "def whatever() -> int:\n    return 1\n"
    )
    assert set(FunctionGraph.from_modules(module, config={"flag": True}).nodes) == {"renamed", "flag"}


def test_decorators_leave_the_function_callable() -> None:
    assert variants.score__fast(3) == 3
    assert variants.price(2, 0.5) == 3.0
    assert variants.price.__name__ == "price"


def test_the_decorators_are_hamiltons_own_objects() -> None:
    import hamilton.function_modifiers as hamilton_modifiers

    for name in function_modifiers.__all__:
        assert getattr(function_modifiers, name) is getattr(hamilton_modifiers, name), name
    # a name not listed here is still reachable: one implementation, not two
    assert function_modifiers.ParameterizedExtract is hamilton_modifiers.ParameterizedExtract
    with pytest.raises(AttributeError, match="no_such_decorator"):
        function_modifiers.no_such_decorator  # noqa: B018


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
    module = {"module": variants.__name__}  # as Hamilton does, every function's node names its module
    assert by_name["price"].tags == {**module, "owner": "pricing", "pii": "false", "airflow_retries": "2"}
    assert by_name["debug_info"].tags == {**module, "team": "ml", "hamilton.config": "mode,debug"}
    assert by_name["score"].tags == {**module, "hamilton.config": "mode"}
    assert by_name["x"].tags == {}


def test_stacked_tags_merge_and_the_outer_one_wins(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.function_modifiers import tag\n"
        "@tag(owner='outer', extra='yes')\n"
        "@tag(owner='inner', kept='1')\n"
        "def fn() -> int:\n    return 1\n"
    )
    tags = FunctionGraph.from_modules(module).nodes["fn"].tags
    assert {k: tags[k] for k in ("owner", "extra", "kept")} == {"owner": "outer", "extra": "yes", "kept": "1"}


@pytest.mark.parametrize("bad", [{"k": "v"}, None, [1, 2], 3])
def test_tag_refuses_what_hamilton_refuses(bad: object) -> None:
    import hamilton.function_modifiers as hamilton_modifiers

    def fn() -> int:
        return 1

    errors = []
    for decorators in (function_modifiers, hamilton_modifiers):
        with pytest.raises(Exception) as info:  # noqa: PT011 - the type is Hamilton's to choose
            decorators.tag(owner="ok", weird=bad)(fn)
        errors.append(type(info.value))
    assert errors[0] is errors[1]
