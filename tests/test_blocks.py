"""Block paths and levels, and the structure errors found before anything runs."""

from __future__ import annotations

import textwrap
import types

import pytest

from hamilflow import driver
from hamilflow.errors import ExecutionRequestError, GraphError
from hamilflow.graph import FunctionGraph
from tests.resources.dynamic import multi_collect, nested

HEADER = "from hamilflow.htypes import Collect, Parallelizable\n"


def module_from(source: str, name: str = "shapes") -> types.ModuleType:
    module = types.ModuleType(name)
    exec(HEADER + textwrap.dedent(source), module.__dict__)
    return module


def graph_problems(source: str) -> list[str]:
    with pytest.raises(GraphError) as caught:
        FunctionGraph.from_modules(module_from(source))
    return caught.value.problems


def test_paths_and_levels_of_nested_blocks() -> None:
    blocks = FunctionGraph.from_modules(nested).blocks
    expected = {
        "row": ((), 0),
        "row_label": (("row",), 0),
        "cell": (("row",), 0),
        "cell_value": (("row", "cell"), 0),
        "row_values": (("row",), 1),
        "row_total": (("row",), 1),
        "grid": ((), 2),
        "grand_total": ((), 2),
        "point_code": (("plane", "line", "point"), 0),
        "line_codes": (("plane", "line"), 1),
        "plane_codes": (("plane",), 2),
        "cube": ((), 3),
    }
    assert {name: (blocks.path[name], blocks.level[name]) for name in expected} == expected
    assert blocks.expanders == ["row", "plane", "cell", "line", "point"]


def test_an_expanders_value_lives_inside_its_own_block() -> None:
    graph = FunctionGraph.from_modules(multi_collect)
    assert graph.blocks.value_path("a", graph.nodes) == ("a",)
    assert graph.blocks.value_path("a_sq", graph.nodes) == ("a",)
    assert graph.blocks.value_path("pairs", graph.nodes) == ()
    assert graph.blocks.path["second_diff"] == ("second",) and graph.blocks.level["second_diff"] == 1


def test_collect_without_a_parallelizable_upstream() -> None:
    problems = graph_problems(
        """
        def numbers(n: int) -> int:
            return n

        def total(numbers: Collect[int]) -> int:
            return sum(numbers)
        """
    )
    assert len(problems) == 1
    (message,) = problems
    assert "'total' (shapes.total (line" in message
    assert "collects 'numbers' with Collect[...], but 'numbers' is not inside a Parallelizable block" in message
    assert "return Parallelizable[...], or drop Collect[] from the annotation" in message


def test_collect_of_an_external_input_is_refused_too() -> None:
    (message,) = graph_problems(
        """
        def total(values: Collect[int]) -> int:
            return sum(values)
        """
    )
    assert "collects 'values'" in message and "not inside a Parallelizable block" in message


def test_a_node_mixing_values_of_two_sibling_blocks() -> None:
    (message,) = graph_problems(
        """
        def a(n: int) -> Parallelizable[int]:
            return range(n)

        def b(n: int) -> Parallelizable[int]:
            return range(n)

        def a_val(a: int) -> int:
            return a

        def b_val(b: int) -> int:
            return b

        def pair(a_val: int, b_val: int) -> int:
            return a_val + b_val
        """
    )
    assert "'pair' (shapes.pair (line" in message
    assert "reads 'b_val' from block 'b' and 'a_val' from block 'a'" in message
    assert "not nested" in message and "Collect one of them (Collect[...]) before combining" in message


def test_a_collector_that_also_reads_its_blocks_values_directly() -> None:
    (message,) = graph_problems(
        """
        def a(n: int) -> Parallelizable[int]:
            return range(n)

        def a_val(a: int) -> int:
            return a

        def bad(a_val: Collect[int], a: int) -> int:
            return sum(a_val) + a
        """
    )
    assert "'bad' (shapes.bad (line" in message
    assert "collects 'a_val' from block 'a' but also runs inside that block" in message
    assert "Pass the block's values to it only via Collect[...]" in message


def test_a_node_that_both_collects_and_expands() -> None:
    (message,) = graph_problems(
        """
        def a(n: int) -> Parallelizable[int]:
            return range(n)

        def both(a: Collect[int]) -> Parallelizable[int]:
            return a
        """
    )
    assert (
        "node 'both' (shapes.both, line" in message and "split it into a collector and a separate expander" in message
    )


def test_every_problem_is_reported_at_once() -> None:
    problems = graph_problems(
        """
        def a(n: int) -> Parallelizable[int]:
            return range(n)

        def b(n: int) -> Parallelizable[int]:
            return range(n)

        def pair(a: int, b: int) -> int:
            return a + b

        def lonely(n: Collect[int]) -> int:
            return sum(n)
        """
    )
    assert len(problems) == 2
    assert any("'pair'" in p for p in problems) and any("'lonely'" in p for p in problems)


def test_requesting_a_node_inside_a_block_as_an_output() -> None:
    dr = driver.Builder().with_modules(multi_collect).enable_dynamic_execution(allow_experimental_mode=True).build()
    with pytest.raises(ExecutionRequestError) as caught:
        dr.execute(["a_sq"], inputs={"n_a": 2, "words": [], "delay": 0.0})
    (message,) = caught.value.problems
    assert "output 'a_sq' (tests.resources.dynamic.multi_collect.a_sq (line" in message
    assert "computed once per item of the Parallelizable block 'a'" in message
    assert "request a node that collects it" in message
    assert isinstance(caught.value, GraphError)
