"""hamilflow.graph: nodes from modules, external inputs, validation with every problem at once, queries."""

from __future__ import annotations

import re
import time
from typing import Any

import pandas as pd
import pytest

from hamilflow import base, driver
from hamilflow.errors import GraphError
from hamilflow.graph import FunctionGraph
from hamilflow.node import DependencyType, NodeKind
from tests.resources.core import (
    broken,
    cycle,
    duplicate_a,
    duplicate_b,
    future_annotations,
    helpers,
    marketing,
    shapes,
)


def _problems(*modules, config: dict | None = None) -> list[str]:
    with pytest.raises(GraphError) as info:
        FunctionGraph.from_modules(*modules, config=config)
    return info.value.problems


# --------------------------------------------------------------------------- nodes from a module
def test_public_functions_defined_in_the_module_are_the_nodes() -> None:
    graph = FunctionGraph.from_modules(marketing)
    functions = {name for name, node in graph.nodes.items() if not node.is_external_input}
    assert functions == {"spend_per_signup", "avg_spend", "spend_mean", "spend_zero_mean", "spend_with_tax"}
    assert "_with_tax" not in graph.nodes  # private
    assert "doubled_spend" not in graph.nodes  # imported from helpers
    assert "TAX_RATE" not in graph.nodes and "pd" not in graph.nodes


def test_parameters_are_dependencies_and_unproduced_ones_are_external_inputs() -> None:
    graph = FunctionGraph.from_modules(marketing)
    inputs = {n.name for n in graph.external_inputs()}
    assert inputs == {"spend", "signups", "window"}
    zero_mean = graph.nodes["spend_zero_mean"]
    assert zero_mean.input_types == {
        "spend": (pd.Series, DependencyType.REQUIRED),
        "spend_mean": (float, DependencyType.REQUIRED),
    }
    assert zero_mean.type is pd.Series
    assert graph.nodes["spend"].kind is NodeKind.INPUT and graph.nodes["spend"].type is pd.Series
    assert sorted(graph.nodes["spend"].dependents) == sorted(
        ["spend_per_signup", "avg_spend", "spend_mean", "spend_zero_mean", "spend_with_tax"]
    )


def test_a_parameter_with_a_default_is_optional() -> None:
    graph = FunctionGraph.from_modules(marketing)
    assert graph.nodes["avg_spend"].input_types["window"] == (int, DependencyType.OPTIONAL)
    assert graph.nodes["avg_spend"].required_params == ["spend"]
    dr = driver.Driver({}, marketing, adapter=base.DefaultAdapter())
    spend = pd.Series([1.0, 3.0, 5.0])
    default = dr.execute(["avg_spend"], inputs={"spend": spend})["avg_spend"]
    assert default.tolist()[1:] == [2.0, 4.0]  # window=2, the default
    given = dr.execute(["avg_spend"], inputs={"spend": spend, "window": 3})["avg_spend"]
    assert given.tolist()[2] == 3.0


def test_nodes_know_where_they_come_from() -> None:
    graph = FunctionGraph.from_modules(marketing)
    node = graph.nodes["spend_per_signup"]
    assert node.module == "tests.resources.core.marketing"
    assert node.function_name == "spend_per_signup"
    assert node.callable is marketing.spend_per_signup
    assert node.documentation == "Marketing spend divided by signups."
    assert node.where.startswith("tests.resources.core.marketing.spend_per_signup (line ")
    assert graph.nodes["spend"].where == "an external input"


def test_an_imported_function_is_a_node_of_its_own_module() -> None:
    graph = FunctionGraph.from_modules(marketing, helpers)
    assert graph.nodes["doubled_spend"].module == "tests.resources.core.helpers"


def test_a_module_passed_twice_and_an_alias_do_not_make_duplicates(module_from_source) -> None:
    FunctionGraph.from_modules(marketing, marketing)
    module = module_from_source("def f(x: int) -> int:\n    return x\n\ng = f\n")
    assert set(FunctionGraph.from_modules(module).nodes) == {"f", "x"}


def test_config_values_are_kept_on_the_graph() -> None:
    graph = FunctionGraph.from_modules(marketing, config={"window": 4})
    assert graph.config == {"window": 4}
    assert graph.nodes["window"].is_external_input


# --------------------------------------------------------------------------- annotations
def test_string_annotations_are_resolved() -> None:
    graph = FunctionGraph.from_modules(future_annotations)
    assert graph.nodes["frame"].type is pd.DataFrame
    assert graph.nodes["column"].input_types["frame"] == (pd.DataFrame, DependencyType.REQUIRED)
    assert graph.nodes["maybe"].input_types["offset"] == (int | None, DependencyType.OPTIONAL)
    assert graph.nodes["rows"].kind is NodeKind.EXPANDER and graph.nodes["rows"].type is int
    assert graph.nodes["sum_of_squares"].kind is NodeKind.COLLECTOR
    dr = driver.Driver({}, future_annotations, adapter=base.DefaultAdapter())
    out = dr.execute(["maybe", "sum_of_squares"], inputs={"n": 4, "offset": 10})
    assert out["maybe"].tolist() == [10, 11, 12, 13]
    assert out["sum_of_squares"] == 0 + 1 + 4 + 9


def test_unresolvable_string_annotations_are_reported(module_from_source) -> None:
    module = module_from_source(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from decimal import Decimal\n"
        "def amount(x: Decimal) -> Decimal:\n    return x\n",
        name="type_checking_only",
    )
    (problem,) = _problems(module)
    assert "type_checking_only.amount" in problem
    assert "Decimal" in problem and "TYPE_CHECKING" in problem


def test_hamilton_parallelizable_and_collect_are_recognised() -> None:
    pytest.importorskip("hamilton")
    from tests.resources.core import hamilton_blocks

    graph = FunctionGraph.from_modules(hamilton_blocks)
    assert graph.nodes["url"].kind is NodeKind.EXPANDER and graph.nodes["url"].type is str
    assert graph.nodes["total_length"].kind is NodeKind.COLLECTOR
    assert graph.nodes["total_length"].collect_params == frozenset({"url_length"})
    assert graph.blocks.path_of("url_length") == ("url",)
    dr = driver.Driver({}, hamilton_blocks, adapter=base.DefaultAdapter())
    assert dr.execute(["total_length"], inputs={"urls": ["a", "bb", "ccc"]}) == {"total_length": 6}


def test_bare_parallelizable_and_collect_are_recognised(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.htypes import Collect, Parallelizable\n"
        "def item() -> Parallelizable:\n    yield from [1, 2, 3]\n"
        "def total(item: Collect) -> int:\n    return sum(item)\n"
    )
    graph = FunctionGraph.from_modules(module)
    assert graph.nodes["item"].is_expander and graph.nodes["total"].is_collector
    assert driver.Driver({}, module, adapter=base.DefaultAdapter()).execute(["total"]) == {"total": 6}


# --------------------------------------------------------------------------- validation
def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(broken)
    assert len(problems) == 3
    text = "\n".join(problems)
    assert re.search(r"cycle: (loop_a -> loop_b -> loop_a|loop_b -> loop_a -> loop_b)", text)
    assert "type mismatch on 'count'" in text
    assert "variadic" in text and "every parameter must be named" in text


def test_graph_error_message_lists_and_numbers_the_problems() -> None:
    with pytest.raises(GraphError) as info:
        FunctionGraph.from_modules(broken)
    message = str(info.value)
    assert message.startswith("The pipeline is not valid (3 problems):")
    for i, problem in enumerate(info.value.problems, 1):
        assert f"  {i}. {problem}" in message
    assert isinstance(info.value, ValueError)  # catchable as a ValueError too


def test_cycle_names_the_loop_and_where_it_is_defined() -> None:
    (problem,) = _problems(cycle)
    assert re.search(r"cycle: (a -> b -> a|b -> a -> b) ", problem)
    assert "tests.resources.core.cycle.a (line" in problem and "tests.resources.core.cycle.b (line" in problem
    assert "break the loop" in problem


def test_longer_cycle_and_self_loop_are_each_reported(module_from_source) -> None:
    module = module_from_source(
        "def p(r: int) -> int:\n    return r\n"
        "def q(p: int) -> int:\n    return p\n"
        "def r(q: int) -> int:\n    return q\n"
        "def s(s: int) -> int:\n    return s\n"
        "def downstream(p: int) -> int:\n    return p\n"
    )
    problems = _problems(module)
    assert len(problems) == 2
    cycles = sorted(re.search(r"cycle: ([a-z >-]+) \(", p).group(1) for p in problems)
    assert cycles[1] == "s -> s"
    loop = cycles[0].split(" -> ")
    assert loop[0] == loop[-1] and sorted(loop[:-1]) == ["p", "q", "r"]
    # and it is the real direction of the dependencies: each node is followed by what it needs
    needs = {"p": "r", "q": "p", "r": "q"}
    assert all(needs[a] == b for a, b in zip(loop, loop[1:]))


def test_a_node_defined_in_two_modules() -> None:
    (problem,) = _problems(duplicate_a, duplicate_b)
    assert "node 'shared' is defined twice" in problem
    assert "tests.resources.core.duplicate_a.shared" in problem
    assert "tests.resources.core.duplicate_b.shared" in problem
    assert "Rename one" in problem


def test_problems_from_several_modules_are_reported_together() -> None:
    problems = _problems(cycle, duplicate_a, duplicate_b)
    assert len(problems) == 2
    assert any("cycle:" in p for p in problems) and any("defined twice" in p for p in problems)


def test_type_mismatch_message_names_both_ends_and_the_fix() -> None:
    (problem,) = [p for p in _problems(broken) if "type mismatch" in p]
    assert "'label' (tests.resources.core.broken.label (line" in problem
    assert "expects str" in problem
    assert "'count' (tests.resources.core.broken.count (line" in problem
    assert "produces int" in problem
    assert "Change one of the two annotations" in problem


def test_compatible_edges_are_accepted() -> None:
    # subclass -> base, anything -> Any, float -> Optional[float], list[int] -> Sequence[int], int -> float
    dr = driver.Driver({}, shapes, adapter=base.DefaultAdapter())
    out = dr.execute(["area", "anything", "maybe_area", "perimeter", "rounded"], inputs={"side": 3.0})
    assert out == {"area": 9.0, "anything": "9.0", "maybe_area": 9.0, "perimeter": 12, "rounded": 12}


@pytest.mark.parametrize(
    ("produced", "required"),
    [
        ("list[int]", "list[str]"),
        ("str", "int"),
        ("float", "int"),
        ("Optional[int]", "int"),
        ("int | str", "int"),
        ("Sequence[int]", "list[int]"),
        ("dict[str, int]", "dict[str, str]"),
        ("Shape", "Square"),
    ],
)
def test_incompatible_edges_are_refused(module_from_source, produced: str, required: str) -> None:
    module = module_from_source(
        "from typing import Optional, Sequence\n"
        "from tests.resources.core.shapes import Shape, Square\n"
        f"def made() -> {produced}:\n    raise NotImplementedError\n"
        f"def used(made: {required}) -> int:\n    return 0\n",
        name="edge_types",
    )
    (problem,) = _problems(module)
    assert "type mismatch on 'made'" in problem
    assert "edge_types.used" in problem and "edge_types.made" in problem


@pytest.mark.parametrize(
    ("produced", "required"),
    [
        ("bool", "int"),
        ("int", "float"),
        ("Square", "Shape"),
        ("int", "Any"),
        ("Any", "int"),
        ("int", "Optional[int]"),
        ("int", "int | str"),
        ("list[int]", "Sequence[int]"),
        ("list[int]", "list"),
        ("pd.DataFrame", "pd.DataFrame"),
    ],
)
def test_compatible_edge_types(module_from_source, produced: str, required: str) -> None:
    module = module_from_source(
        "from typing import Any, Optional, Sequence\n"
        "import pandas as pd\n"
        "from tests.resources.core.shapes import Shape, Square\n"
        f"def made() -> {produced}:\n    raise NotImplementedError\n"
        f"def used(made: {required}) -> int:\n    return 0\n"
    )
    graph = FunctionGraph.from_modules(module)
    assert graph.nodes["used"].input_types["made"][0] == eval(required, vars(module))


def test_parallelizable_item_type_is_checked_against_consumers(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.htypes import Collect, Parallelizable\n"
        "def item() -> Parallelizable[str]:\n    yield 'a'\n"
        "def doubled(item: int) -> int:\n    return item * 2\n"
        "def total(doubled: Collect[str]) -> str:\n    return ''.join(doubled)\n"
    )
    problems = _problems(module)
    assert len(problems) == 2
    text = "\n".join(problems)
    assert "type mismatch on 'item'" in text and "Parallelizable[str]" in text
    assert "type mismatch on 'doubled'" in text


def test_collecting_a_value_outside_any_block_is_refused(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.htypes import Collect\n"
        "def value() -> int:\n    return 1\n"
        "def total(value: Collect[int]) -> int:\n    return sum(value)\n",
        name="no_block",
    )
    (problem,) = _problems(module)
    assert "'total'" in problem and "no_block.total" in problem
    assert "not inside a Parallelizable block" in problem


def test_a_function_that_collects_and_expands_is_refused(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.htypes import Collect, Parallelizable\n"
        "def item() -> Parallelizable[int]:\n    yield 1\n"
        "def again(item: Collect[int]) -> Parallelizable[int]:\n    yield from item\n"
    )
    problems = _problems(module)
    assert any("both collects (item) and returns Parallelizable[]" in p for p in problems)


# --------------------------------------------------------------------------- queries
def test_topological_order_puts_every_node_after_what_it_needs() -> None:
    graph = FunctionGraph.from_modules(marketing, shapes)
    position = {name: i for i, name in enumerate(graph.order)}
    assert set(graph.order) == set(graph.nodes) and len(graph.order) == len(graph.nodes)
    for node in graph.nodes.values():
        for param in node.input_types:
            assert position[param] < position[node.name], (param, node.name)
    assert graph.sorted({"spend_zero_mean", "spend", "spend_mean"}) == ["spend", "spend_mean", "spend_zero_mean"]


def test_upstream_and_downstream() -> None:
    graph = FunctionGraph.from_modules(marketing)
    assert graph.upstream(["spend_zero_mean"]) == {"spend_zero_mean", "spend_mean", "spend"}
    assert graph.upstream(["spend_zero_mean"], stop_at=["spend_mean"]) == {"spend_zero_mean", "spend_mean", "spend"}
    assert graph.upstream(["avg_spend"]) == {"avg_spend", "spend", "window"}
    assert graph.downstream(["spend_mean"]) == {"spend_mean", "spend_zero_mean"}
    assert graph.downstream(["signups"]) == {"signups", "spend_per_signup"}


def test_upstream_stops_at_overridden_nodes() -> None:
    graph = FunctionGraph.from_modules(shapes)
    assert graph.upstream(["rounded"], stop_at=["perimeter"]) == {"rounded", "perimeter"}
    assert "side" in graph.upstream(["rounded"])


# --------------------------------------------------------------------------- scale
def test_a_chain_of_100000_nodes_builds_and_runs_without_recursion(module_from_source) -> None:
    n = 100_000
    source = "def n0(x: int) -> int:\n    return x + 1\n" + "".join(
        f"def n{i}(n{i - 1}: int) -> int:\n    return n{i - 1} + 1\n" for i in range(1, n)
    )
    module = module_from_source(source, name="long_chain")
    started = time.perf_counter()
    dr = driver.Driver({}, module, adapter=base.DefaultAdapter())
    assert len(dr.graph.nodes) == n + 1
    assert dr.graph.order[0] in ("n0", "x") and dr.graph.order[-1] == f"n{n - 1}"
    assert dr.raw_execute([f"n{n - 1}"], inputs={"x": 0}) == {f"n{n - 1}": n}
    assert len(dr.graph.upstream([f"n{n - 1}"])) == n + 1
    assert len(dr.graph.downstream(["x"])) == n + 1
    assert time.perf_counter() - started < 60  # linear: ~3 s on a laptop; quadratic would take hours


def test_a_cycle_through_a_long_chain_is_found_without_recursion(module_from_source) -> None:
    n = 20_000
    source = f"def n0(n{n - 1}: int) -> int:\n    return 1\n" + "".join(
        f"def n{i}(n{i - 1}: int) -> int:\n    return 1\n" for i in range(1, n)
    )
    (problem,) = _problems(module_from_source(source))
    assert problem.startswith("cycle: ") and problem.count(" -> ") == n


def test_graph_of_types_any_for_unannotated_functions(module_from_source) -> None:
    module = module_from_source("def b(a):\n    return a\n")
    graph = FunctionGraph.from_modules(module)
    assert graph.nodes["b"].type is Any and graph.nodes["a"].type is Any


def test_a_protocol_annotation_builds_and_runs(module_from_source) -> None:
    module = module_from_source(
        "from typing import Protocol\n"
        "class Named(Protocol):\n    name: str\n"
        "class Thing:\n    name = 'thing'\n"
        "def thing() -> Thing:\n    return Thing()\n"
        "def title(thing: Named, prefix: Named) -> str:\n    return prefix.name + thing.name\n"
    )
    dr = driver.Driver({}, module, adapter=base.DefaultAdapter())
    assert dr.execute(["title"], inputs={"prefix": module.Thing()}) == {"title": "thingthing"}


def test_parameters_that_cannot_be_passed_by_name_are_refused(module_from_source) -> None:
    module = module_from_source(
        "import functools\n"
        "def positional(a: int, /, b: int = 2) -> int:\n    return a + b\n"
        "def keywords(**options: int) -> int:\n    return len(options)\n"
        "def _logged(fn):\n"
        "    @functools.wraps(fn)\n"
        "    def wrapper(*args, **kwargs):\n        return fn(*args, **kwargs)\n"
        "    return wrapper\n"
        "@_logged\n"
        "def wrapped(c: int, /) -> int:\n    return c\n"
        "@_logged\n"
        "def fine(d: int) -> int:\n    return d\n",
        name="unnamed",
    )
    problems = _problems(module)
    assert len(problems) == 3
    by_node = {p.split("'")[1]: p for p in problems}
    assert "positional-only parameters ('a' before /)" in by_node["positional"]
    assert "**options" in by_node["keywords"]
    assert "positional-only parameters ('c' before /)" in by_node["wrapped"]
    assert all("every parameter must be named" in p for p in problems)


def test_an_input_read_with_incompatible_annotations_is_refused(module_from_source) -> None:
    module = module_from_source(
        "def as_number(raw: int) -> int:\n    return raw\ndef as_text(raw: str) -> str:\n    return raw\n",
        name="two_readers",
    )
    (problem,) = _problems(module)
    assert "input 'raw' is expected as int by 'as_number' (two_readers.as_number (line 1))" in problem
    assert "as str by 'as_text' (two_readers.as_text (line 3))" in problem
    assert "no value can be both" in problem


def test_an_input_read_by_several_functions_takes_the_narrowest_annotation(module_from_source) -> None:
    module = module_from_source(
        "from typing import Any, Optional\n"
        "def loose(x: Any) -> int:\n    return 1\n"
        "def exact(x: int) -> int:\n    return x\n"
        "def maybe(x: Optional[int] = None) -> int:\n    return 0\n"
        "def ratio(y: float) -> float:\n    return y\n"
        "def count(y: int) -> int:\n    return y\n"
    )
    graph = FunctionGraph.from_modules(module)
    assert graph.nodes["x"].type is int and graph.nodes["y"].type is int
