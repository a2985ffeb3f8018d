"""hamilflow.driver.Driver: execute, raw_execute, validation of requests, overrides, errors, queries."""

from __future__ import annotations

import pandas as pd
import pytest

from hamilflow import base, driver
from hamilflow.driver import Variable
from hamilflow.errors import ExecutionRequestError, GraphError, HamilflowError
from tests.resources.core import calls, helpers, marketing, variants

SPEND = pd.Series([10.0, 20.0, 30.0])
SIGNUPS = pd.Series([1.0, 2.0, 5.0])


@pytest.fixture
def dict_driver() -> driver.Driver:
    calls.CALLS.clear()
    return driver.Driver({}, calls, adapter=base.DefaultAdapter())


# --------------------------------------------------------------------------- construction & execute
def test_driver_from_config_and_several_modules() -> None:
    dr = driver.Driver({"window": 3}, marketing, helpers)
    assert dr.config == {"window": 3}
    assert dr.modules == (marketing, helpers)
    assert isinstance(dr.adapter, base.SimplePythonDataFrameGraphAdapter)
    assert {"spend_mean", "doubled_spend"} <= set(dr.graph.nodes)


def test_execute_returns_a_dataframe_by_default() -> None:
    dr = driver.Driver({}, marketing, helpers)
    df = dr.execute(["spend_zero_mean", "doubled_spend", "spend_mean"], inputs={"spend": SPEND})
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["spend_zero_mean", "doubled_spend", "spend_mean"]
    assert df["spend_zero_mean"].tolist() == [-10.0, 0.0, 10.0]
    assert df["doubled_spend"].tolist() == [20.0, 40.0, 60.0]


def test_raw_execute_returns_a_dict_of_the_requested_outputs_only() -> None:
    dr = driver.Driver({}, marketing)
    out = dr.raw_execute(["spend_mean", "spend_with_tax", "spend_mean"], inputs={"spend": SPEND})
    assert list(out) == ["spend_mean", "spend_with_tax"]
    assert out["spend_mean"] == 20.0
    assert out["spend_with_tax"].tolist() == pytest.approx([12.0, 24.0, 36.0])


def test_config_values_are_inputs() -> None:
    dr = driver.Driver({"window": 3, "spend": SPEND}, marketing, adapter=base.DefaultAdapter())
    out = dr.execute(["avg_spend"])
    assert out["avg_spend"].tolist()[2] == 20.0  # window 3 from the config, not the default 2


def test_a_node_can_be_requested_with_its_inputs(dict_driver: driver.Driver) -> None:
    assert dict_driver.execute(["source", "raw_data"], inputs={"source": "db"}) == {
        "source": "db",
        "raw_data": [3, 1, 2],
    }


def test_a_requested_input_must_be_supplied(dict_driver: driver.Driver) -> None:
    with pytest.raises(ExecutionRequestError) as info:
        dict_driver.execute(["bonus"])  # optional for `total`, but asked for here
    (problem,) = info.value.problems
    assert "missing input 'bonus'" in problem and "requested" in problem


# --------------------------------------------------------------------------- request validation
def test_unknown_outputs_get_a_suggestion(dict_driver: driver.Driver) -> None:
    with pytest.raises(ExecutionRequestError) as info:
        dict_driver.execute(["totl", "nothing_like_it"], inputs={"source": "db"})
    problems = info.value.problems
    assert len(problems) == 2
    assert "unknown output 'totl'" in problems[0] and "Did you mean 'total'?" in problems[0]
    assert "unknown output 'nothing_like_it'" in problems[1] and "Did you mean" not in problems[1]
    assert calls.CALLS == []  # nothing ran


def test_missing_inputs_name_the_nodes_that_need_them(module_from_source) -> None:
    module = module_from_source(
        "def a(x: int, y: int = 1) -> int:\n    return x + y\n"
        "def b(a: int, z: str) -> str:\n    return z * a\n"
        "def c(x: int, z: str) -> str:\n    return z\n",
        name="needs",
    )
    dr = driver.Driver({}, module, adapter=base.DefaultAdapter())
    with pytest.raises(ExecutionRequestError) as info:
        dr.execute(["b", "c"])
    problems = info.value.problems
    assert len(problems) == 2  # one per missing input, each listing who needs it; y has a default
    by_input = {p.split("'")[1]: p for p in problems}
    assert set(by_input) == {"x", "z"}
    assert "'a' (needs.a (line 1))" in by_input["x"] and "'c' (needs.c (line 5))" in by_input["x"]
    assert "'b' (needs.b (line 3))" in by_input["z"] and "'c' (needs.c (line 5))" in by_input["z"]
    assert "inputs={'x': ...}" in by_input["x"]
    assert str(info.value).startswith("Cannot run this request (2 problems):")
    assert isinstance(info.value, GraphError)


def test_input_values_are_checked_against_annotations(dict_driver: driver.Driver) -> None:
    with pytest.raises(ExecutionRequestError) as info:
        dict_driver.execute(["total"], inputs={"source": 42, "bonus": "3"})
    problems = info.value.problems
    assert len(problems) == 2
    text = "\n".join(problems)
    assert "input 'source' is int 42, but 'raw_data'" in text and "expects str" in text
    assert "input 'bonus' is str '3', but 'total'" in text and "expects int" in text
    assert "tests.resources.core.calls.total" in text
    assert calls.CALLS == []


def test_config_values_are_type_checked_too() -> None:
    dr = driver.Driver({"source": 1}, calls, adapter=base.DefaultAdapter())
    with pytest.raises(ExecutionRequestError, match="input 'source' is int 1, but 'raw_data'"):
        dr.execute(["raw_data"])


def test_the_check_runs_on_every_call_not_only_the_first(dict_driver: driver.Driver) -> None:
    assert dict_driver.execute(["raw_data"], inputs={"source": "db"}) == {"raw_data": [3, 1, 2]}
    with pytest.raises(ExecutionRequestError, match="input 'source' is int"):
        dict_driver.execute(["raw_data"], inputs={"source": 5})


def test_validate_execution(dict_driver: driver.Driver) -> None:
    dict_driver.validate_execution(["total"], inputs={"source": "db"})
    dict_driver.validate_execution(["total"], overrides={"cleaned": [1]})
    with pytest.raises(ExecutionRequestError) as info:
        dict_driver.validate_execution(["total", "totall"], inputs={"source": 1})
    problems = info.value.problems
    assert len(problems) == 2
    assert any("Did you mean 'total'?" in p for p in problems)
    assert any("input 'source' is int 1" in p for p in problems)
    with pytest.raises(ExecutionRequestError, match="missing input 'source'.*'raw_data'"):
        dict_driver.validate_execution(["total"])
    assert calls.CALLS == []  # validation never runs functions


def test_an_input_cannot_replace_a_computed_node(dict_driver: driver.Driver) -> None:
    with pytest.raises(ExecutionRequestError, match=r"'cleaned' is computed by .*overrides=\{'cleaned': \.\.\.\}"):
        dict_driver.execute(["total"], inputs={"source": "db", "cleaned": [1]})


# --------------------------------------------------------------------------- overrides
def test_overrides_short_circuit_what_is_upstream(dict_driver: driver.Driver) -> None:
    # raw_data raises if it runs with source="forbidden"
    out = dict_driver.execute(["total"], inputs={"source": "forbidden"}, overrides={"cleaned": [10, 20]})
    assert out == {"total": 30}
    assert calls.CALLS == ["total"]


def test_overrides_make_the_inputs_they_replace_unnecessary(dict_driver: driver.Driver) -> None:
    assert dict_driver.execute(["exploding"], overrides={"total": 7}) == {"exploding": 7}
    assert calls.CALLS == ["exploding"]


def test_an_overridden_output_is_returned_as_given(dict_driver: driver.Driver) -> None:
    assert dict_driver.execute(["cleaned", "total"], overrides={"cleaned": [4]}) == {"cleaned": [4], "total": 4}
    assert calls.CALLS == ["total"]


# --------------------------------------------------------------------------- errors from user code
def test_an_exception_propagates_unchanged_with_a_note(dict_driver: driver.Driver) -> None:
    with pytest.raises(calls.PipelineFailure) as info:
        dict_driver.execute(["exploding"], inputs={"source": "db", "explode": True})
    error = info.value
    assert type(error) is calls.PipelineFailure
    assert str(error) == "total was 6" and error.code == 6
    (note,) = error.__notes__
    assert "'exploding'" in note and "tests.resources.core.calls.exploding" in note
    assert calls.CALLS == ["raw_data", "cleaned", "total", "exploding"]


def test_it_is_the_very_same_exception_object(module_from_source) -> None:
    module = module_from_source(
        "ERROR = LookupError('prepared')\ndef failing(x: int) -> int:\n    raise ERROR\n", name="same_object"
    )
    dr = driver.Driver({}, module, adapter=base.DefaultAdapter())
    with pytest.raises(LookupError) as info:
        dr.execute(["failing"], inputs={"x": 1})
    assert info.value is module.ERROR
    assert any("'failing'" in note and "same_object.failing" in note for note in info.value.__notes__)


def test_an_exception_inside_a_parallel_block_propagates_unchanged(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.htypes import Collect, Parallelizable\n"
        "class BadItem(Exception):\n    pass\n"
        "def item(n: int) -> Parallelizable[int]:\n    yield from range(n)\n"
        "def checked(item: int) -> int:\n"
        "    if item == 2:\n        raise BadItem(item)\n"
        "    return item\n"
        "def total(checked: Collect[int]) -> int:\n    return sum(checked)\n",
        name="block_failure",
    )
    dr = driver.Driver({}, module, adapter=base.DefaultAdapter())
    assert dr.execute(["total"], inputs={"n": 2}) == {"total": 1}
    with pytest.raises(module.BadItem) as info:
        dr.execute(["total"], inputs={"n": 4})
    assert info.value.args == (2,)
    assert any("'checked'" in note for note in info.value.__notes__)


# --------------------------------------------------------------------------- queries
def test_list_available_variables() -> None:
    dr = driver.Driver({"mode": "fast"}, variants, marketing)
    variables = {v.name: v for v in dr.list_available_variables()}
    assert all(isinstance(v, Variable) for v in variables.values())
    price = variables["price"]
    assert price.type is float
    assert price.tags["owner"] == "pricing"
    assert not price.is_external_input
    assert price.originating_functions == (variants.price,)
    assert price.documentation == "The score with VAT on top."
    score = variables["score"]
    assert score.originating_functions == (variants.score__fast,)
    x = variables["x"]
    assert x.is_external_input and x.type is int
    assert x.originating_functions == (variants.score__fast,)  # as in Hamilton: the first function reading it
    assert variables["mode"].is_external_input and variables["mode"].originating_functions is None  # config
    assert variables["spend"].type is pd.Series
    assert "score__fast" not in variables and "score__exact" not in variables
    assert set(variables) == set(dr.graph.nodes)


def test_what_is_upstream_and_downstream_of() -> None:
    dr = driver.Driver({}, marketing)
    up = dr.what_is_upstream_of("spend_zero_mean")
    assert all(isinstance(v, Variable) for v in up)
    assert {v.name for v in up} == {"spend_zero_mean", "spend_mean", "spend"}
    assert {v.name for v in dr.what_is_upstream_of("spend_per_signup", "avg_spend")} == {
        "spend_per_signup",
        "avg_spend",
        "spend",
        "signups",
        "window",
    }
    assert {v.name for v in dr.what_is_downstream_of("spend_mean")} == {"spend_mean", "spend_zero_mean"}
    assert {v.name for v in dr.what_is_downstream_of("window", "signups")} == {
        "window",
        "avg_spend",
        "signups",
        "spend_per_signup",
    }


def test_queries_about_unknown_nodes_say_so() -> None:
    dr = driver.Driver({}, marketing)
    with pytest.raises(HamilflowError) as info:
        dr.what_is_upstream_of("spend_meen")
    assert "unknown node(s): 'spend_meen'" in str(info.value)
    assert "did you mean 'spend_mean'?" in str(info.value)
    with pytest.raises(HamilflowError, match="'nope'"):
        dr.what_is_downstream_of("nope")
