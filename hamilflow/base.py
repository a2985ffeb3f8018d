"""Result builders and graph adapters: what ``execute`` returns and how each node is run.

A *result builder* turns the dict of requested outputs into the object ``execute``
returns. A *graph adapter* decides how a node is executed and how types are checked,
and carries a result builder. The default adapter returns a pandas DataFrame.

    >>> from hamilflow import base
    >>> base.DictResult.build_result(a=1, b=2)
    {'a': 1, 'b': 2}
    >>> adapter = base.SimplePythonGraphAdapter(base.DictResult())
"""

from __future__ import annotations

import abc
import logging
from typing import TYPE_CHECKING, Any

from hamilflow import htypes
from hamilflow.errors import ResultError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from hamilflow.node import Node

logger = logging.getLogger(__name__)


class ResultMixin(abc.ABC):
    """Base of result builders: one static ``build_result(**outputs)``.

    It is static so that a builder can be shipped to a worker by reference.

        >>> class Sum(ResultMixin):
        ...     @staticmethod
        ...     def build_result(**outputs):
        ...         return sum(outputs.values())
        >>> Sum.build_result(a=1, b=2)
        3
    """

    @staticmethod
    @abc.abstractmethod
    def build_result(**outputs: Any) -> Any:
        """Build the value ``execute`` returns from the requested outputs."""


class DictResult(ResultMixin):
    """Return the outputs as a plain dict, in the order requested."""

    @staticmethod
    def build_result(**outputs: Any) -> dict[str, Any]:
        return outputs


def _index_kinds(outputs: dict[str, Any]) -> dict[str, list[str]]:
    """Outputs grouped by the kind of pandas index they carry (``None`` for scalars)."""
    import pandas as pd

    kinds: dict[str, list[str]] = {}
    for name, value in outputs.items():
        if isinstance(value, (pd.Series, pd.DataFrame)):
            key = f"{type(value.index).__name__}[{value.index.dtype}]"
        else:
            key = None
        kinds.setdefault(key, []).append(name)
    return kinds


def _index_mismatch(outputs: dict[str, Any]) -> str | None:
    kinds = _index_kinds(outputs)
    indexed = {k: v for k, v in kinds.items() if k is not None}
    if len(indexed) <= 1:
        return None
    return "outputs have different pandas index types: " + "; ".join(
        f"{kind} for {', '.join(names)}" for kind, names in indexed.items()
    )


class PandasDataFrameResult(ResultMixin):
    """Combine outputs into one DataFrame.

    Series are aligned on their index (an outer join), scalars are broadcast, and a
    DataFrame's columns are added as ``<output>.<column>``; a single DataFrame output is
    returned as it is, and all-scalar outputs give a one-row frame. Outputs whose index
    types differ are combined anyway, with a warning (see
    :class:`StrictIndexTypePandasDataFrameResult` to refuse them).

        >>> import pandas as pd
        >>> PandasDataFrameResult.build_result(a=pd.Series([1, 2]), b=3)["b"].tolist()
        [3, 3]
    """

    @staticmethod
    def build_result(**outputs: Any) -> pd.DataFrame:
        mismatch = _index_mismatch(outputs)
        if mismatch:
            logger.warning("%s. Check that the joined DataFrame is what you want.", mismatch)
        return PandasDataFrameResult.combine(outputs)

    @staticmethod
    def combine(outputs: dict[str, Any]) -> pd.DataFrame:
        """Join outputs into one DataFrame (no index checks)."""
        import pandas as pd

        if len(outputs) == 1:
            (only,) = outputs.values()
            if isinstance(only, pd.DataFrame):
                return only
        if not any(pd.api.types.is_list_like(v) for v in outputs.values()):
            return pd.DataFrame([outputs])
        columns: dict[str, Any] = {}
        for name, value in outputs.items():
            parts = (
                {f"{name}.{col}": value[col] for col in value.columns}
                if isinstance(value, pd.DataFrame)
                else {name: value}
            )
            for column, data in parts.items():
                if column in columns:
                    raise ResultError(
                        f"column '{column}' would appear twice in the result DataFrame; rename the "
                        "output or the DataFrame column that produces it."
                    )
                columns[column] = data
        return pd.DataFrame(columns)


class StrictIndexTypePandasDataFrameResult(PandasDataFrameResult):
    """Like :class:`PandasDataFrameResult`, but raise when index types differ.

    >>> import pandas as pd
    >>> StrictIndexTypePandasDataFrameResult.build_result(a=pd.Series([1]), b=2).shape
    (1, 2)
    """

    @staticmethod
    def build_result(**outputs: Any) -> pd.DataFrame:
        mismatch = _index_mismatch(outputs)
        if mismatch:
            raise ResultError(f"{mismatch}. Give them the same index type, or use PandasDataFrameResult to join anyway")
        return PandasDataFrameResult.combine(outputs)


class NumpyMatrixResult(ResultMixin):
    """Stack outputs as the columns of a 2-D numpy matrix; scalars are broadcast.

    >>> NumpyMatrixResult.build_result(a=[1, 2], b=0).tolist()
    [[1, 0], [2, 0]]
    """

    @staticmethod
    def build_result(**outputs: Any) -> np.matrix:
        import numpy as np

        lengths = {name: len(v) for name, v in outputs.items() if not np.isscalar(v)}
        if len(set(lengths.values())) > 1:
            raise ResultError(
                "outputs have different lengths, so they cannot be matrix columns: "
                + ", ".join(f"{n}={n_rows}" for n, n_rows in lengths.items())
            )
        rows = next(iter(lengths.values()), 1)
        columns = [[v] * rows if np.isscalar(v) else list(v) for v in outputs.values()]
        return np.asmatrix(columns).T


class HamiltonGraphAdapter(ResultMixin):
    """How nodes are checked and run. Subclass it to change execution; it also builds the result.

    hamilflow calls ``check_node_type_equivalence`` for every edge when the graph is
    built (as in Hamilton, an edge the adapter refuses is still accepted when the standard
    rules of :func:`hamilflow.htypes.fits` accept it: an adapter can only widen them),
    ``check_input_type`` for every input value before a run, and ``execute_node`` for every
    node it runs, in every executor.
    """

    @staticmethod
    @abc.abstractmethod
    def check_input_type(node_type: Any, input_value: Any) -> bool:
        """Whether ``input_value`` is acceptable for an input annotated ``node_type``."""

    @staticmethod
    @abc.abstractmethod
    def check_node_type_equivalence(node_type: Any, input_type: Any) -> bool:
        """Whether a value annotated ``input_type`` may feed a parameter annotated ``node_type``."""

    @abc.abstractmethod
    def execute_node(self, node: Node, kwargs: dict[str, Any]) -> Any:
        """Run one node with its keyword arguments and return its value."""


class SimplePythonGraphAdapter(HamiltonGraphAdapter):
    """Run each node as a plain function call and shape the result with ``result_builder``.

    >>> adapter = SimplePythonGraphAdapter(DictResult())
    >>> adapter.build_result(x=1)
    {'x': 1}
    """

    def __init__(self, result_builder: ResultMixin | None = None) -> None:
        self.result_builder = result_builder if result_builder is not None else PandasDataFrameResult()

    @staticmethod
    def check_input_type(node_type: Any, input_value: Any) -> bool:
        return htypes.value_matches(node_type, input_value)

    @staticmethod
    def check_node_type_equivalence(node_type: Any, input_type: Any) -> bool:
        return htypes.fits(input_type, node_type)

    def execute_node(self, node: Node, kwargs: dict[str, Any]) -> Any:
        return node.callable(**kwargs)

    def build_result(self, **outputs: Any) -> Any:
        return self.result_builder.build_result(**outputs)


class SimplePythonDataFrameGraphAdapter(SimplePythonGraphAdapter):
    """The default adapter: plain function calls, and ``execute`` returns a DataFrame."""

    def __init__(self) -> None:
        super().__init__(PandasDataFrameResult())


class DefaultAdapter(SimplePythonGraphAdapter):
    """Plain function calls, and ``execute`` returns a dict."""

    def __init__(self) -> None:
        super().__init__(DictResult())


def uses_plain_calls(adapter: HamiltonGraphAdapter) -> bool:
    """True when the adapter runs nodes as plain calls, so the runner may call them directly."""
    return type(adapter).execute_node is SimplePythonGraphAdapter.execute_node
