"""hamilflow.base: result builders and graph adapters, alone and through the Driver."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hamilflow import base, driver
from hamilflow.errors import GraphError
from hamilflow.node import Node
from tests.resources.core import calls, marketing, shapes

SPEND = pd.Series([10.0, 20.0, 30.0])
SIGNUPS = pd.Series([1.0, 2.0, 5.0])


# --------------------------------------------------------------------------- result builders
def test_result_mixin_is_abstract_with_a_static_build_result() -> None:
    with pytest.raises(TypeError):
        base.ResultMixin()  # type: ignore[abstract]
    assert isinstance(base.__dict__["DictResult"].__dict__["build_result"], staticmethod)
    assert base.DictResult.build_result(a=1, b=[2]) == {"a": 1, "b": [2]}
    assert list(base.DictResult().build_result(z=1, a=2)) == ["z", "a"]  # order kept


def test_dataframe_from_series_and_scalars() -> None:
    df = base.PandasDataFrameResult.build_result(a=pd.Series([1, 2, 3]), b=pd.Series([4, 5, 6]), c=7)
    assert list(df.columns) == ["a", "b", "c"]
    assert df["c"].tolist() == [7, 7, 7]  # broadcast
    assert df["b"].tolist() == [4, 5, 6]


def test_dataframe_columns_are_prefixed_with_the_output_name() -> None:
    frame = pd.DataFrame({"x": [1, 2], "y": [3, 4]})
    df = base.PandasDataFrameResult.build_result(frame=frame, s=pd.Series([5, 6]), k="k")
    assert list(df.columns) == ["frame.x", "frame.y", "s", "k"]
    assert df["frame.y"].tolist() == [3, 4] and df["k"].tolist() == ["k", "k"]


def test_a_single_dataframe_is_returned_as_is() -> None:
    frame = pd.DataFrame({"x": [1, 2]})
    assert base.PandasDataFrameResult.build_result(frame=frame) is frame


def test_all_scalars_make_one_row() -> None:
    df = base.PandasDataFrameResult.build_result(a=1, b="two", c=3.0)
    assert df.shape == (1, 3)
    assert df.iloc[0].tolist() == [1, "two", 3.0]


def test_series_are_outer_joined_on_their_index() -> None:
    df = base.PandasDataFrameResult.build_result(a=pd.Series([1, 2], index=[0, 1]), b=pd.Series([3], index=[2]))
    assert df.index.tolist() == [0, 1, 2]
    assert df["b"].isna().tolist() == [True, True, False]


def test_a_column_name_that_would_appear_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="column 'f.x' would appear twice"):
        base.PandasDataFrameResult.build_result(f=pd.DataFrame({"x": [1]}), **{"f.x": pd.Series([2])})


def _mismatched() -> dict[str, Any]:
    return {
        "by_date": pd.Series([1, 2], index=pd.date_range("2024-01-01", periods=2)),
        "by_row": pd.Series([3, 4]),
    }


def test_mismatched_index_types_log_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hamilflow.base"):
        df = base.PandasDataFrameResult.build_result(**_mismatched())
    assert len(df) == 4  # joined anyway
    (record,) = [r for r in caplog.records if r.name == "hamilflow.base"]
    assert record.levelno == logging.WARNING
    assert "different pandas index types" in record.getMessage()
    assert "by_date" in record.getMessage() and "by_row" in record.getMessage()


def test_matching_index_types_do_not_warn(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hamilflow.base"):
        base.PandasDataFrameResult.build_result(a=pd.Series([1]), b=pd.Series([2]), c=3)
    assert not [r for r in caplog.records if r.name == "hamilflow.base"]


def test_strict_index_types_raise_on_mismatch() -> None:
    with pytest.raises(ValueError) as info:
        base.StrictIndexTypePandasDataFrameResult.build_result(**_mismatched())
    message = str(info.value)
    assert "different pandas index types" in message and "by_date" in message and "by_row" in message
    assert "PandasDataFrameResult" in message  # how to join anyway
    same = base.StrictIndexTypePandasDataFrameResult.build_result(a=pd.Series([1, 2]), b=pd.Series([3, 4]), c=0)
    assert same.shape == (2, 3)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # numpy's view of np.matrix, as in Hamilton
def test_numpy_matrix_result() -> None:
    matrix = base.NumpyMatrixResult.build_result(a=np.array([1, 2]), b=[3, 4], c=5)
    assert isinstance(matrix, np.matrix)
    assert matrix.tolist() == [[1, 3, 5], [2, 4, 5]]
    with pytest.raises(ValueError, match="different lengths.*a=1, b=2"):
        base.NumpyMatrixResult.build_result(a=[1], b=[1, 2])


class ColumnSums(base.ResultMixin):
    """A user's own result builder."""

    @staticmethod
    def build_result(**outputs: Any) -> dict[str, float]:
        return {name: float(np.sum(value)) for name, value in outputs.items()}


def test_a_users_result_builder_shapes_execute() -> None:
    dr = driver.Driver({}, marketing, adapter=base.SimplePythonGraphAdapter(ColumnSums()))
    out = dr.execute(["spend_per_signup", "spend_mean"], inputs={"spend": SPEND, "signups": SIGNUPS})
    assert out == {"spend_per_signup": 26.0, "spend_mean": 20.0}


# --------------------------------------------------------------------------- adapters
def test_default_adapter_returns_a_dataframe() -> None:
    dr = driver.Driver({}, marketing)
    assert type(dr.adapter) is base.SimplePythonDataFrameGraphAdapter
    df = dr.execute(["spend_per_signup", "spend_mean"], inputs={"spend": SPEND, "signups": SIGNUPS})
    assert isinstance(df, pd.DataFrame)
    assert df["spend_per_signup"].tolist() == [10.0, 10.0, 6.0]
    assert df["spend_mean"].tolist() == [20.0, 20.0, 20.0]


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_builtin_adapters_and_their_result_builders() -> None:
    assert isinstance(base.DefaultAdapter().result_builder, base.DictResult)
    assert isinstance(base.SimplePythonDataFrameGraphAdapter().result_builder, base.PandasDataFrameResult)
    assert isinstance(base.SimplePythonGraphAdapter().result_builder, base.PandasDataFrameResult)
    numpy_adapter = base.SimplePythonGraphAdapter(base.NumpyMatrixResult())
    assert numpy_adapter.build_result(a=[1, 2]).tolist() == [[1], [2]]
    for adapter in (base.DefaultAdapter(), base.SimplePythonDataFrameGraphAdapter()):
        assert isinstance(adapter, base.HamiltonGraphAdapter) and isinstance(adapter, base.ResultMixin)
    assert base.SimplePythonGraphAdapter.check_input_type(int, 1)
    assert not base.SimplePythonGraphAdapter.check_input_type(int, "1")
    # (node_type = the parameter's annotation, input_type = the annotation of what flows into it)
    assert base.SimplePythonGraphAdapter.check_node_type_equivalence(float, int)
    assert not base.SimplePythonGraphAdapter.check_node_type_equivalence(int, float)


def test_default_adapter_returns_a_dict() -> None:
    dr = driver.Driver({}, marketing, adapter=base.DefaultAdapter())
    out = dr.execute(["spend_mean"], inputs={"spend": SPEND})
    assert out == {"spend_mean": 20.0}


def test_the_graph_adapter_interface_is_abstract() -> None:
    class Incomplete(base.HamiltonGraphAdapter):
        @staticmethod
        def build_result(**outputs: Any) -> Any:
            return outputs

    with pytest.raises(TypeError, match="execute_node"):
        Incomplete()  # type: ignore[abstract]


class RecordingAdapter(base.HamiltonGraphAdapter):
    """A user's adapter written from scratch: records every call hamilflow makes."""

    def __init__(self) -> None:
        self.executed: list[str] = []
        self.kwargs: dict[str, dict[str, Any]] = {}
        self.input_checks: list[tuple[Any, Any]] = []
        self.edge_checks: list[tuple[Any, Any]] = []

    def check_input_type(self, node_type: Any, input_value: Any) -> bool:
        self.input_checks.append((node_type, input_value))
        return True  # this adapter accepts any input value

    def check_node_type_equivalence(self, node_type: Any, input_type: Any) -> bool:
        self.edge_checks.append((node_type, input_type))
        return node_type == input_type  # Hamilton's classic rule: the standard ones still apply

    def execute_node(self, node: Node, kwargs: dict[str, Any]) -> Any:
        self.executed.append(node.name)
        self.kwargs[node.name] = dict(kwargs)
        return node.callable(**kwargs)

    def build_result(self, **outputs: Any) -> Any:
        return ("built", outputs)


def test_a_custom_adapter_runs_every_node_and_builds_the_result() -> None:
    calls.CALLS.clear()
    adapter = RecordingAdapter()
    dr = driver.Driver({}, calls, adapter=adapter)
    result = dr.execute(["exploding", "cleaned"], inputs={"source": "db", "bonus": 4})
    assert result == ("built", {"exploding": 10, "cleaned": [1, 2, 3]})
    assert adapter.executed == ["raw_data", "cleaned", "total", "exploding"] == calls.CALLS
    assert adapter.kwargs["total"] == {"cleaned": [1, 2, 3], "bonus": 4}
    assert adapter.kwargs["exploding"] == {"total": 10}  # the default of `explode` is left to the function
    adapter.executed.clear()
    dr.execute(["total"], overrides={"cleaned": [5]})
    assert adapter.executed == ["total"]  # overridden nodes are not run, even by the adapter


def test_a_custom_adapter_checks_inputs() -> None:
    adapter = RecordingAdapter()
    dr = driver.Driver({}, calls, adapter=adapter)
    dr.execute(["raw_data"], inputs={"source": 123})  # accepted: the adapter says so
    assert (str, 123) in adapter.input_checks


def test_the_adapters_type_equivalence_is_consulted_when_the_graph_is_built(module_from_source) -> None:
    module = module_from_source(
        "import pandas as pd\n"
        "def text() -> str:\n    return '12'\n"
        "def number(text: int) -> int:\n    return int(text) + 1\n"
    )
    with pytest.raises(GraphError, match="type mismatch on 'text'"):
        driver.Driver({}, module, adapter=base.DefaultAdapter())

    class Lenient(base.SimplePythonGraphAdapter):
        seen: list[tuple[Any, Any]] = []

        @staticmethod
        def check_node_type_equivalence(node_type: Any, input_type: Any) -> bool:
            Lenient.seen.append((node_type, input_type))
            return (node_type, input_type) == (int, str)

    dr = driver.Driver({}, module, adapter=Lenient(base.DictResult()))
    assert Lenient.seen == [(int, str)]  # (the parameter's annotation, the producer's annotation)
    assert dr.execute(["number"]) == {"number": 13}


def test_an_adapter_with_exact_equality_keeps_the_standard_rules() -> None:
    # RecordingAdapter answers node_type == input_type; subclass/Any/Optional/Sequence edges still build
    adapter = RecordingAdapter()
    dr = driver.Driver({}, shapes, adapter=adapter)
    assert (shapes.Shape, shapes.Square) in adapter.edge_checks
    assert dr.raw_execute(["rounded"], inputs={"side": 2.0}) == {"rounded": 8}
