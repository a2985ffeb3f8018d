"""The front end: functions become the nodes Apache Hamilton makes of them, plain or decorated."""

from __future__ import annotations

import typing

import pandas as pd
import pytest
from hamilton import graph as hamilton_graph
from hamilton import htypes as hamilton_htypes

from hamilflow import htypes
from hamilflow.errors import GraphError
from hamilflow.frontend import functions_of, is_plain, nodes_of_module
from hamilflow.graph import FunctionGraph

PLAIN = """
import pandas as pd

def spend(raw: pd.Series) -> pd.Series:
    '''Spend per day.'''
    return raw * 2

def mean_spend(spend: pd.Series, window: int = 3) -> float:
    return float(spend.mean())

def label(mean_spend: float, *, prefix: str = "avg") -> str:
    return f"{prefix}={mean_spend}"
"""

DECORATED = """
import pandas as pd
from hamilton.function_modifiers import (
    check_output, config, extract_columns, extract_fields, parameterize, pipe_input, source, step, tag, value,
)

def _double(x: float) -> float:
    return x * 2

def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"a": range(n), "b": range(n)})

@extract_columns("a", "b")
def columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame

@extract_fields({"low": int, "high": int})
def bounds(n: int) -> dict:
    return {"low": 0, "high": n}

@parameterize(scaled_a={"col": source("a"), "by": value(2)}, scaled_b={"col": source("b"), "by": value(3)})
def scaled(col: pd.Series, by: int) -> pd.Series:
    return col * by

@tag(owner="ops")
@config.when(mode="fast")
def total__fast(scaled_a: pd.Series) -> float:
    return float(scaled_a.sum())

@pipe_input(step(_double).named("twice"))
@check_output(range=(0, 1000), importance="warn")
def smoothed(total: float) -> float:
    return total
"""


def _hamilton_nodes(module, config: dict) -> dict:
    return hamilton_graph.create_function_graph(module, config=config)


@pytest.mark.parametrize("source", [PLAIN, DECORATED], ids=["plain", "decorated"])
def test_nodes_are_the_ones_hamilton_makes(module_from_source, source: str) -> None:
    module = module_from_source(source)
    config = {"mode": "fast"}
    ours = FunctionGraph.from_modules(module, config=config).nodes
    theirs = _hamilton_nodes(module, config)
    assert set(ours) == set(theirs)
    for name, hamilton_node in theirs.items():
        node = ours[name]
        assert node.is_external_input == hamilton_node.user_defined, name
        if node.is_external_input:
            continue
        assert node.tags == hamilton_node.tags, name
        assert node.originating_functions == hamilton_node.originating_functions, name
        expected_inputs = {p: (t, d.name) for p, (t, d) in hamilton_node.input_types.items()}
        assert {p: (t, d.name) for p, (t, d) in node.input_types.items()} == expected_inputs, name
        assert node.type == hamilton_node.type, name


def test_plain_functions_take_the_fast_path_and_user_wrappers_stay_plain(module_from_source) -> None:
    module = module_from_source(
        PLAIN + "\nimport functools\n\ndef _logged(fn):\n    @functools.wraps(fn)\n"
        "    def wrapper(**kwargs):\n        return fn(**kwargs)\n    return wrapper\n\n"
        "@_logged\ndef wrapped(label: str) -> str:\n    return label\n"
    )
    assert all(is_plain(fn) for fn in functions_of(module))
    nodes = {n.name: n for n in nodes_of_module(module, {}, [])}
    assert nodes["wrapped"].required == ("label",)  # the signature of the function it wraps
    assert nodes["spend"].documentation == "Spend per day."
    assert nodes["mean_spend"].optional == ("window",)


def test_decorated_nodes_run_as_hamilton_runs_them(module_from_source) -> None:
    from hamilton import driver as hamilton_driver

    from hamilflow import driver

    module = module_from_source(DECORATED)
    outputs = ["scaled_a", "scaled_b", "low", "high", "smoothed", "total"]
    ours = driver.Builder().with_modules(module).with_config({"mode": "fast"}).build().execute(outputs, inputs={"n": 4})
    theirs = hamilton_driver.Builder().with_modules(module).with_config({"mode": "fast"}).build()
    theirs = theirs.execute(outputs, inputs={"n": 4})
    assert set(ours) == set(theirs)
    for name in outputs:
        if isinstance(theirs[name], pd.Series):
            pd.testing.assert_series_equal(ours[name], theirs[name])
        else:
            assert ours[name] == theirs[name], name


def test_functions_of_submodules_count_and_imported_ones_do_not(module_from_source) -> None:
    helper = module_from_source("def helper_fn(x: int) -> int:\n    return x\n", name="pkg_for_test.sub")
    outside = module_from_source("def elsewhere(x: int) -> int:\n    return x\n", name="not_pkg")
    parent = module_from_source("def own(x: int) -> int:\n    return x\n", name="pkg_for_test")
    parent.helper_fn, parent.elsewhere = helper.helper_fn, outside.elsewhere
    assert [fn.__name__ for fn in functions_of(parent)] == ["own", "helper_fn"]
    assert set(_hamilton_nodes(parent, {})) == {"own", "helper_fn", "x"}


def test_decorator_misuse_is_reported_with_module_line_and_fix_all_at_once(module_from_source) -> None:
    module = module_from_source(
        "from hamilton.function_modifiers import resolve, ResolveAt, extract_fields, config\n"
        "@resolve(when=ResolveAt.CONFIG_AVAILABLE, decorate_with=lambda cols: extract_fields(cols))\n"
        "def late(x: int) -> dict:\n    return {'a': x}\n"
        "@config.when(mode='x')\n"
        "def needs__x(unannotated) -> int:\n    return 1\n",
        name="misused",
    )
    with pytest.raises(GraphError) as info:
        FunctionGraph.from_modules(module, config={"mode": "x"})
    late, needs = info.value.problems
    assert "misused.late (line 2)" in late and "hamilton.enable_power_user_mode': True" in late
    assert "misused.needs__x (line 5)" in needs and "type hint on every parameter" in needs
    assert "Traceback" not in str(info.value)

    with pytest.raises(GraphError, match=r"misused.late \(line 2\).*pass them with with_config"):
        FunctionGraph.from_modules(module, config={"hamilton.enable_power_user_mode": True, "mode": "y"})


def test_parallelizable_and_collect_are_hamiltons_classes() -> None:
    assert htypes.Parallelizable is hamilton_htypes.Parallelizable
    assert htypes.Collect is hamilton_htypes.Collect


@pytest.mark.parametrize(
    ("param_type", "node_type"),
    [
        (int, bool),
        (bool, int),
        (float, float),
        (typing.Any, str),
        (pd.Series, pd.Series),
        (object, pd.DataFrame),
        (pd.DataFrame, pd.Series),
        (list, list),
        (int | str, int),
    ],
)
def test_types_match_takes_hamiltons_argument_order(param_type, node_type) -> None:
    assert htypes.types_match(param_type, node_type) == hamilton_htypes.types_match(param_type, node_type)


def test_default_outputs_leave_out_what_a_decorator_marks_internal(module_from_source) -> None:
    module_from_source(  # importable by name, as the subdag imports it
        "def unused_inside(seed: int) -> int:\n    return seed\ndef result(seed: int) -> int:\n    return seed + 1\n",
        name="inner_for_leaves",
    )
    outer = module_from_source(
        "from hamilton.function_modifiers import subdag, value\n"
        "import inner_for_leaves\n"
        "@subdag(inner_for_leaves, inputs={'seed': value(1)})\n"
        "def wrapped(result: int) -> int:\n    return result\n"
    )
    graph = FunctionGraph.from_modules(outer)
    assert graph.nodes["wrapped.unused_inside"].tags["hamilton.non_final_node"] is True
    assert graph.leaves() == ["wrapped"]
