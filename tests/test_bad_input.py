"""The bad-input catalogue (issue 13): malformed pipelines and calls, and what hamilflow answers.

Each row of ``CASES`` is one mistake a user can make: the pipeline module as they would write
it (``source``; some rows use a small default pipeline), what they do with it (``call``), the
error class hamilflow raises (always a :class:`~hamilflow.errors.HamilflowError`; the graph and
request errors are also ``ValueError``, as in Hamilton), and three fragments its message must
contain: *what* is wrong, *where* (node, module, line where there is one; the argument or
method otherwise) and *how to fix it*. Read the table as the specification of those messages.

Where Hamilton accepts something that is probably a mistake, hamilflow accepts it too (every
Hamilton pipeline runs unchanged) and says so with a :class:`~hamilflow.errors.HamilflowWarning`
(a ``UserWarning``); those rows expect the warning class instead of an error.

Each source runs as a module named ``bad_<id>`` (``bad_<id>_a``, ``bad_<id>_b``, ... when a row
has several), line 1 being the first line of its text.
"""

from __future__ import annotations

import inspect
import sys
import textwrap
import types
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from hamilflow import base, cli, driver
from hamilflow.errors import (
    ExecutionRequestError,
    ExpanderValueError,
    GraphError,
    HamilflowError,
    HamilflowWarning,
    SettingError,
)
from hamilflow.execution import executors, grouping, node_runner
from hamilflow.execution.items import items_of
from hamilflow.node import Node, NodeKind

Call = Callable[[list[types.ModuleType]], Any]


@dataclass(frozen=True)
class Case:
    """One mistake and the answer it gets."""

    id: str
    source: str | tuple[str, ...]
    call: Call
    raises: type[BaseException] | type[Warning]
    what: str
    where: str
    fix: str


# ----------------------------------------------------------------------------------------- calls
def build(config: dict | None = None, **kwargs: Any) -> Call:
    """``Driver(config, *modules)``: the graph is built and checked, nothing runs."""
    kwargs.setdefault("adapter", base.DefaultAdapter())
    return lambda modules: driver.Driver(config or {}, *modules, **kwargs)


def run(outputs: Any, *, config: dict | None = None, **kwargs: Any) -> Call:
    """``Driver(config, *modules).execute(outputs, **kwargs)``."""
    return lambda modules: driver.Driver(config or {}, *modules, adapter=base.DefaultAdapter()).execute(
        outputs, **kwargs
    )


def on_driver(action: Callable[[driver.Driver], Any]) -> Call:
    """Something done with a Driver of the modules (a query, a picture, a check)."""
    return lambda modules: action(driver.Driver({}, *modules, adapter=base.DefaultAdapter()))


def on_builder(action: Callable[[driver.Builder], Any]) -> Call:
    """Something done with a Builder that already has the modules."""
    return lambda modules: action(driver.Builder().with_modules(*modules))


def dynamic_builder() -> driver.Builder:
    return driver.Builder().enable_dynamic_execution(allow_experimental_mode=True)


def alone(action: Callable[[], Any]) -> Call:
    """A call that needs no pipeline (an executor, a Builder step)."""
    return lambda modules: action()


def compiled(**options: Any) -> Call:
    """``compile_pipeline(CompileOptions(modules, dag_id="d", **options))``: the DAG file's text, nothing written."""
    from hamilflow.compiler import CompileOptions, compile_pipeline

    return lambda modules: compile_pipeline(
        CompileOptions(modules=[m.__name__ for m in modules], dag_id="d", **options)
    )


def command(*argv: str) -> Call:
    """The ``hamilflow`` command's handler, with ``{module}`` standing for the first module's name."""

    def call(modules: list[types.ModuleType]) -> Any:
        words = [word.replace("{module}", modules[0].__name__) for word in argv]
        args = cli.build_parser().parse_args(words)
        return args.handler(args)

    return call


# ------------------------------------------------------------------------------------ pipelines
PLAIN = """
def total(amount: int, bonus: int = 0) -> int:
    return amount + bonus


def doubled(total: int) -> int:
    return 2 * total
"""

BLOCK = """
from hamilflow.htypes import Collect, Parallelizable


def item(items: list) -> Parallelizable[int]:
    return items


def squared(item: int) -> int:
    return item * item


def total(squared: Collect[int]) -> int:
    return sum(squared)
"""

VARIANTS = """
from hamilton.function_modifiers import config


@config.when(mode="fast")
def score__fast() -> int:
    return 1


@config.when(mode="exact")
def score__exact() -> int:
    return 2


def report(score: int) -> str:
    return f"score {score}"
"""


def expander_returning(value: str) -> str:
    return f"""
from hamilflow.htypes import Collect, Parallelizable


def item() -> Parallelizable[str]:
    return {value}


def loud(item: str) -> str:
    return item.upper()


def joined(loud: Collect[str]) -> str:
    return "".join(loud)
"""


# ------------------------------------------------------------------------------------ the table
GRAPH = [
    Case(
        "cycle-of-two",
        """
def a(b: int) -> int:
    return b


def b(a: int) -> int:
    return a
""",
        build(),
        GraphError,
        what="cycle: a -> b -> a",
        where="bad_cycle_of_two.b (line 5)",
        fix="break the loop by renaming a parameter",
    ),
    Case(
        "cycle-of-one",
        """
def count(count: int) -> int:
    return count + 1
""",
        build(),
        GraphError,
        what="cycle: count -> count",
        where="bad_cycle_of_one.count (line 1)",
        fix="break the loop by renaming a parameter",
    ),
    Case(
        "cycle-of-three",
        """
def a(c: int) -> int:
    return c


def b(a: int) -> int:
    return a


def c(b: int) -> int:
    return b
""",
        build(),
        GraphError,
        what="cycle: a -> c -> b -> a",
        where="bad_cycle_of_three.c (line 9)",
        fix="break the loop",
    ),
    Case(
        "node-defined-in-two-modules",
        (
            "def total() -> int:\n    return 1\n",
            "def total() -> int:\n    return 2\n",
        ),
        build(),
        GraphError,
        what="node 'total' is defined twice",
        where="in bad_node_defined_in_two_modules_a.total (line 1) and in bad_node_defined_in_two_modules_b.total",
        fix="Rename one",
    ),
    Case(
        "extracted-column-named-like-a-function",
        """
import pandas as pd
from hamilton.function_modifiers import extract_columns


@extract_columns("total", "count")
def frame() -> pd.DataFrame:
    return pd.DataFrame({"total": [1], "count": [2]})


def total() -> int:
    return 3
""",
        build(),
        GraphError,
        what="node 'total' is defined twice",
        where="bad_extracted_column_named_like_a_function.frame (line 5)",
        fix="Rename one",
    ),
    Case(
        "two-config-variants-both-selected",
        """
from hamilton.function_modifiers import config


@config.when_in(region=["eu", "uk"])
def vat__europe() -> float:
    return 0.2


@config.when(region="uk")
def vat__uk() -> float:
    return 0.1
""",
        build({"region": "uk"}),
        GraphError,
        what="node 'vat' is defined twice",
        where="bad_two_config_variants_both_selected.vat__uk (line 9)",
        fix="make their conditions exclusive",
    ),
    Case(
        "edge-type-mismatch",
        """
def count() -> int:
    return 1


def shout(count: str) -> str:
    return count.upper()
""",
        build(),
        GraphError,
        what="type mismatch on 'count': 'shout'",
        where="bad_edge_type_mismatch.shout (line 5)",
        fix="Change one of the two annotations",
    ),
    Case(
        "item-type-mismatch",
        """
from hamilflow.htypes import Collect, Parallelizable


def number() -> Parallelizable[int]:
    return [1, 2]


def label(number: str) -> str:
    return number


def labels(label: Collect[str]) -> list:
    return list(label)
""",
        build(),
        GraphError,
        what="produces items of type int (Parallelizable[int])",
        where="bad_item_type_mismatch.label (line 8)",
        fix="Change one of the two annotations",
    ),
    Case(
        "collect-type-mismatch",
        """
from hamilflow.htypes import Collect, Parallelizable


def number() -> Parallelizable[int]:
    return [1, 2]


def doubled(number: int) -> int:
    return 2 * number


def joined(doubled: Collect[str]) -> str:
    return ",".join(doubled)
""",
        build(),
        GraphError,
        what="expects Collect[str], but 'doubled'",
        where="bad_collect_type_mismatch.joined (line 12)",
        fix="convert the value in between",
    ),
    Case(
        "collect-without-parallelizable",
        """
from hamilflow.htypes import Collect


def number() -> int:
    return 1


def total(number: Collect[int]) -> int:
    return sum(number)
""",
        build(),
        GraphError,
        what="is not inside a Parallelizable block, so there is nothing to collect",
        where="bad_collect_without_parallelizable.total (line 8)",
        fix="drop Collect[] from the annotation",
    ),
    Case(
        "expander-that-also-collects",
        """
from hamilflow.htypes import Collect, Parallelizable


def item() -> Parallelizable[int]:
    return [1]


def both(item: Collect[int]) -> Parallelizable[int]:
    return item
""",
        build(),
        GraphError,
        what="both collects (item) and returns Parallelizable[]",
        where="bad_expander_that_also_collects.both, line 8",
        fix="split it into a collector and a separate expander",
    ),
    Case(
        "items-of-two-sibling-blocks",
        """
from hamilflow.htypes import Parallelizable


def left() -> Parallelizable[int]:
    return [1]


def right() -> Parallelizable[int]:
    return [2]


def pair(left: int, right: int) -> int:
    return left + right
""",
        build(),
        GraphError,
        what="these blocks are not nested, so their items cannot be paired",
        where="bad_items_of_two_sibling_blocks.pair (line 12)",
        fix="Collect one of them",
    ),
    Case(
        "collector-inside-its-own-block",
        """
from hamilflow.htypes import Collect, Parallelizable


def item() -> Parallelizable[int]:
    return [1, 2]


def doubled(item: int) -> int:
    return 2 * item


def total(doubled: Collect[int], item: int) -> int:
    return sum(doubled) + item
""",
        build(),
        GraphError,
        what="a collector must sit outside the block it collects",
        where="bad_collector_inside_its_own_block.total (line 12)",
        fix="Pass the block's values to it only via Collect[...]",
    ),
    Case(
        "star-args",
        """
def total(*numbers: int) -> int:
    return sum(numbers)
""",
        build(),
        GraphError,
        what="takes *numbers",
        where="bad_star_args.total, line 1",
        fix="Replace them with named parameters",
    ),
    Case(
        "star-star-kwargs",
        """
def total(**numbers: int) -> int:
    return sum(numbers.values())
""",
        build(),
        GraphError,
        what="takes **numbers",
        where="bad_star_star_kwargs.total, line 1",
        fix="Replace them with named parameters",
    ),
    Case(
        "positional-only-parameters",
        """
def total(amount: int, /) -> int:
    return amount
""",
        build(),
        GraphError,
        what="takes positional-only parameters ('amount' before /)",
        where="bad_positional_only_parameters.total, line 1",
        fix="every parameter must be named",
    ),
    Case(
        "annotation-names-nothing",
        """
from __future__ import annotations


def total(frame: Frame) -> int:
    return len(frame)
""",
        build(),
        GraphError,
        what="cannot resolve the type annotations",
        where="bad_annotation_names_nothing.total (line 4)",
        fix="Import the names the annotations use at module level",
    ),
    Case(
        "one-input-two-incompatible-annotations",
        """
def as_number(x: int) -> int:
    return x


def as_text(x: str) -> str:
    return x
""",
        build(),
        GraphError,
        what="input 'x' is expected as int by 'as_number'",
        where="bad_one_input_two_incompatible_annotations.as_text (line 5)",
        fix="Give the parameters compatible annotations",
    ),
    Case(
        "lambda-as-a-node",
        """
double = lambda x: 2 * x  # noqa: E731
""",
        build(),
        GraphError,
        what="'double' (bad_lambda_as_a_node, line 1) is a lambda",
        where="bad_lambda_as_a_node, line 1",
        fix="Write it as def double(...), or name it _double",
    ),
    Case(
        "decorated-function-without-type-hints",
        """
from hamilton.function_modifiers import tag


@tag(owner="data")
def total(amount):
    return amount
""",
        build(),
        GraphError,
        what="Missing type hint",
        where="bad_decorated_function_without_type_hints.total (line 4)",
        fix="Decorated functions need a type hint on every parameter and on the return value",
    ),
    Case(
        "resolve-without-power-user-mode",
        """
import pandas as pd
from hamilton.function_modifiers import ResolveAt, extract_columns, resolve


@resolve(when=ResolveAt.CONFIG_AVAILABLE, decorate_with=lambda columns: extract_columns(*columns))
def table() -> pd.DataFrame:
    return pd.DataFrame({"a": [1], "b": [2]})
""",
        build({"columns": ["a", "b"]}),
        GraphError,
        what="cannot be applied",
        where="bad_resolve_without_power_user_mode.table (line 5)",
        fix="add {'hamilton.enable_power_user_mode': True} to the config",
    ),
    Case(
        "resolve-without-its-config-key",
        """
import pandas as pd
from hamilton.function_modifiers import ResolveAt, extract_columns, resolve


@resolve(when=ResolveAt.CONFIG_AVAILABLE, decorate_with=lambda columns: extract_columns(*columns))
def table() -> pd.DataFrame:
    return pd.DataFrame({"a": [1], "b": [2]})
""",
        build({"hamilton.enable_power_user_mode": True}),
        GraphError,
        what="Config items: ['columns'] declared but not provided",
        where="bad_resolve_without_its_config_key.table (line 5)",
        fix="pass them with with_config({...})",
    ),
    Case(
        "resolve-making-a-bad-decorator",
        """
import pandas as pd
from hamilton.function_modifiers import ResolveAt, extract_columns, resolve


@resolve(when=ResolveAt.CONFIG_AVAILABLE, decorate_with=lambda columns: extract_columns(*columns))
def table() -> pd.DataFrame:
    return pd.DataFrame({"a": [1], "b": [2]})
""",
        build({"hamilton.enable_power_user_mode": True, "columns": []}),
        GraphError,
        what="empty arguments passed to extract_columns",
        where="bad_resolve_making_a_bad_decorator.table (line 5)",
        fix="Check the decorator's arguments against Hamilton's documentation",
    ),
    Case(
        "custom-config-condition-reading-a-missing-key",
        """
from hamilton.function_modifiers import config


@config(lambda c: c["mode"] == "x")
def total__x() -> int:
    return 1
""",
        build(),
        GraphError,
        what="KeyError: 'mode'",
        where="bad_custom_config_condition_reading_a_missing_key.total__x (line 4)",
        fix="with_config({'mode': ...})",
    ),
    Case(
        "check-output-with-an-unknown-validator",
        """
from hamilton.function_modifiers import check_output


@check_output(bogus_validator=3)
def total(amount: int) -> int:
    return amount
""",
        build(),
        GraphError,
        what="Could not resolve validators for @check_output",
        where="bad_check_output_with_an_unknown_validator.total (line 4)",
        fix="Check the decorator's arguments against Hamilton's documentation",
    ),
    Case(
        "async-function",
        """
async def total(amount: int) -> int:
    return amount
""",
        build(),
        HamilflowWarning,
        what="is an async function",
        where="bad_async_function.total, line 1",
        fix="Make it a plain def",
    ),
    Case(
        "module-without-functions",
        """
from os.path import join  # imported, so not a node of this module
""",
        build(),
        HamilflowWarning,
        what="defines no functions, so it adds nothing to the graph",
        where="module 'bad_module_without_functions'",
        fix="pass the modules that define them",
    ),
    Case(
        "config-key-named-like-a-function",
        PLAIN,
        build({"total": 5}),
        HamilflowWarning,
        what="config key 'total' replaces the node 'total'",
        where="bad_config_key_named_like_a_function.total (line 1)",
        fix="pass the value in overrides={'total': ...} instead",
    ),
]

DRIVER = [
    Case(
        "driver-without-a-config",
        PLAIN,
        lambda modules: driver.Driver(modules[0]),
        SettingError,
        what="the first argument of Driver is the config",
        where="Driver(bad_driver_without_a_config",
        fix="Write Driver({}, bad_driver_without_a_config, ...)",
    ),
    Case(
        "driver-config-not-a-mapping",
        PLAIN,
        lambda modules: driver.Driver(["mode"], *modules),
        SettingError,
        what="the config must be a dict",
        where="Driver(['mode'], ...)",
        fix="Driver({}, ...)",
    ),
    Case(
        "driver-module-named-by-a-string",
        PLAIN,
        lambda modules: driver.Driver({}, "os.path"),
        SettingError,
        what="not the string 'os.path'",
        where="Driver",
        fix="importlib.import_module('os.path')",
    ),
    Case(
        "driver-modules-in-a-list",
        PLAIN,
        lambda modules: driver.Driver({}, modules),
        SettingError,
        what="a list",
        where="Driver",
        fix="Driver({}, *modules)",
    ),
    Case(
        "driver-module-none",
        PLAIN,
        lambda modules: driver.Driver({}, None),
        SettingError,
        what="not None",
        where="Driver",
        fix="pass imported modules",
    ),
    Case(
        "driver-adapter-class",
        PLAIN,
        build(adapter=base.SimplePythonGraphAdapter),
        SettingError,
        what="adapter=SimplePythonGraphAdapter is a class",
        where="adapter=",
        fix="pass an instance: SimplePythonGraphAdapter()",
    ),
    Case(
        "driver-adapter-that-is-no-adapter",
        PLAIN,
        build(adapter=3),
        SettingError,
        what="adapter=3 is not a graph adapter",
        where="adapter=",
        fix="base.SimplePythonGraphAdapter(base.DictResult())",
    ),
]

REQUEST = [
    Case(
        "final-vars-a-string",
        PLAIN,
        run("total", inputs={"amount": 1}),
        ExecutionRequestError,
        what="not the string 'total'",
        where="final_vars",
        fix="write ['total']",
    ),
    Case(
        "final-vars-bytes",
        PLAIN,
        run(b"total", inputs={"amount": 1}),
        ExecutionRequestError,
        what="not the bytes b'total'",
        where="final_vars",
        fix="write ['total']",
    ),
    Case(
        "final-vars-none",
        PLAIN,
        run(None, inputs={"amount": 1}),
        ExecutionRequestError,
        what="final_vars is None",
        where="final_vars",
        fix="e.g. ['doubled']",
    ),
    Case(
        "final-vars-a-number",
        PLAIN,
        run(3, inputs={"amount": 1}),
        ExecutionRequestError,
        what="not int 3",
        where="final_vars",
        fix="e.g. ['doubled']",
    ),
    Case(
        "final-vars-holding-a-number",
        PLAIN,
        run(["total", 3], inputs={"amount": 1}),
        ExecutionRequestError,
        what="cannot request 3 (int)",
        where="final_vars[1]",
        fix="name an output by string",
    ),
    Case(
        "final-vars-holding-none",
        PLAIN,
        run([None], inputs={"amount": 1}),
        ExecutionRequestError,
        what="cannot request None",
        where="final_vars[0]",
        fix="name an output by string",
    ),
    Case(
        "final-vars-a-function-of-another-module",
        PLAIN,
        run([textwrap.dedent]),
        ExecutionRequestError,
        what="cannot request function textwrap.dedent",
        where="not defined in a module of this Driver (bad_final_vars_a_function_of_another_module)",
        fix="Request the node by name instead",
    ),
    Case(
        "unknown-output-close-to-a-node",
        PLAIN,
        run(["totl"], inputs={"amount": 1}),
        ExecutionRequestError,
        what="unknown output 'totl'",
        where="no function or input of that name",
        fix="Did you mean 'total'?",
    ),
    Case(
        "unknown-output-like-nothing",
        PLAIN,
        run(["zzz"], inputs={"amount": 1}),
        ExecutionRequestError,
        what="unknown output 'zzz'",
        where="no function or input of that name",
        fix="list_available_variables() lists the nodes",
    ),
    Case(
        "missing-input",
        PLAIN,
        run(["doubled"]),
        ExecutionRequestError,
        what="missing input 'amount' (int)",
        where="required by 'total' (bad_missing_input.total (line 1))",
        fix="Pass it as inputs={'amount': ...}",
    ),
    Case(
        "requested-input-not-given",
        PLAIN,
        run(["bonus"]),
        ExecutionRequestError,
        what="missing input 'bonus'",
        where="required by the requested outputs",
        fix="Pass it as inputs={'bonus': ...}",
    ),
    Case(
        "config-when-selects-no-variant",
        VARIANTS,
        run(["report"], config={"mode": "other"}),
        ExecutionRequestError,
        what="'score' is defined only by @config.when functions, and this config selects none of them",
        where="bad_config_when_selects_no_variant.score__fast (line 4) needs mode='fast'",
        fix="e.g. with_config({'mode': 'fast'})",
    ),
    Case(
        "config-when-key-not-set",
        VARIANTS,
        run(["report"]),
        ExecutionRequestError,
        what="(mode not set)",
        where="bad_config_when_key_not_set.score__exact (line 9) needs mode='exact'",
        fix="e.g. with_config({'mode': 'fast'})",
    ),
    Case(
        "config-when-variant-requested",
        VARIANTS,
        run(["score"], config={"mode": "other"}),
        ExecutionRequestError,
        what="(the config has mode='other')",
        where="bad_config_when_variant_requested.score__fast (line 4)",
        fix="Set the config so that one applies",
    ),
    Case(
        "config-when-in-selects-no-variant",
        """
from hamilton.function_modifiers import config


@config.when_in(region=["eu", "uk"])
def vat__europe() -> float:
    return 0.2


def price(vat: float) -> float:
    return 100 * (1 + vat)
""",
        run(["price"], config={"region": "us"}),
        ExecutionRequestError,
        what="selects none of them (the config has region='us')",
        where="bad_config_when_in_selects_no_variant.vat__europe (line 4) needs region in ['eu', 'uk']",
        fix="e.g. with_config({'region': 'eu'})",
    ),
    Case(
        "input-of-the-wrong-type",
        PLAIN,
        run(["total"], inputs={"amount": "3"}),
        ExecutionRequestError,
        what="input 'amount' is str '3'",
        where="'total' (bad_input_of_the_wrong_type.total (line 1)) expects int",
        fix="Pass a value of that type",
    ),
    Case(
        "config-value-of-the-wrong-type",
        PLAIN,
        run(["total"], config={"amount": "3"}),
        ExecutionRequestError,
        what="input 'amount' is str '3'",
        where="(bad_config_value_of_the_wrong_type.total (line 1)) expects int (the value comes from the config)",
        fix="Pass a value of that type",
    ),
    Case(
        "input-naming-a-computed-node",
        PLAIN,
        run(["doubled"], inputs={"amount": 1, "total": 3}),
        ExecutionRequestError,
        what="'total' is computed by",
        where="bad_input_naming_a_computed_node.total (line 1)",
        fix="pass it in overrides={'total': ...}",
    ),
    Case(
        "output-inside-a-block",
        BLOCK,
        run(["squared"], inputs={"items": [1, 2]}),
        ExecutionRequestError,
        what="is computed once per item of the Parallelizable block 'item'",
        where="bad_output_inside_a_block.squared (line 8)",
        fix="request a node that collects it",
    ),
    Case(
        "override-of-an-expander",
        BLOCK,
        run(["total"], overrides={"item": [1, 2]}),
        ExecutionRequestError,
        what="one value cannot open a block",
        where="bad_override_of_an_expander.item (line 4)",
        fix="Override the inputs of 'item' instead",
    ),
    Case(
        "override-of-a-value-inside-a-block",
        BLOCK,
        run(["total"], inputs={"items": [1, 2]}, overrides={"squared": 4}),
        ExecutionRequestError,
        what="an override is one value, not one per item",
        where="bad_override_of_a_value_inside_a_block.squared (line 8)",
        fix="Override a value outside the block",
    ),
    Case(
        "inputs-not-a-mapping",
        PLAIN,
        run(["total"], inputs=[("amount", 1)]),
        ExecutionRequestError,
        what="inputs must be a dict of names to values, not list",
        where="inputs=",
        fix="inputs={'amount': ...}",
    ),
    Case(
        "overrides-not-a-mapping",
        PLAIN,
        run(["doubled"], overrides=["total"]),
        ExecutionRequestError,
        what="overrides must be a dict of names to values, not list",
        where="overrides=",
        fix="overrides={'total': ...}",
    ),
    Case(
        "input-naming-no-node",
        PLAIN,
        run(["total"], inputs={"amount": 1, "bonsu": 2}),
        HamilflowWarning,
        what="inputs name 'bonsu', which no function reads",
        where="inputs=",
        fix="did you mean 'bonus'?",
    ),
    Case(
        "override-naming-no-node",
        PLAIN,
        run(["doubled"], inputs={"amount": 1}, overrides={"totl": 2}),
        HamilflowWarning,
        what="overrides name 'totl', which is no node",
        where="overrides=",
        fix="did you mean 'total'?",
    ),
    Case(
        "input-none-for-a-str",
        """
def greeting(name: str) -> str:
    return f"hello {name or 'you'}"
""",
        run(["greeting"], inputs={"name": None}),
        HamilflowWarning,
        what="input 'name' is None",
        where="'greeting' (bad_input_none_for_a_str.greeting (line 1)) expects str",
        fix="annotate the parameter Optional[str]",
    ),
    Case(
        "validate-execution-of-an-unknown-output",
        PLAIN,
        on_driver(lambda dr: dr.validate_execution(["totl"], inputs={"amount": 1})),
        ExecutionRequestError,
        what="unknown output 'totl'",
        where="no function or input of that name",
        fix="Did you mean 'total'?",
    ),
    Case(
        "raw-execute-of-none",
        PLAIN,
        on_driver(lambda dr: dr.raw_execute(None)),
        ExecutionRequestError,
        what="final_vars is None",
        where="final_vars",
        fix="e.g. ['doubled']",
    ),
]

_NODE_RUNNER_USES_ITEMS_OF = "items_of" in inspect.getsource(node_runner)
_ITEMS_OF_PENDING = pytest.mark.xfail(
    not _NODE_RUNNER_USES_ITEMS_OF,
    reason="node_runner.py still turns an expander's value into a list with list(value), not items_of",
    strict=True,
)

RUNTIME = [
    Case(
        "expander-returning-a-str",
        expander_returning('"abc"'),
        run(["joined"]),
        ExpanderValueError,
        what="returned the str 'abc' from a Parallelizable[] function",
        where="'item' (bad_expander_returning_a_str.item (line 4))",
        fix="Return a list of the items instead",
    ),
    Case(
        "expander-returning-bytes",
        expander_returning('b"abc"'),
        run(["joined"]),
        ExpanderValueError,
        what="returned the bytes b'abc'",
        where="'item' (bad_expander_returning_bytes.item (line 4))",
        fix="Return a list of the items instead",
    ),
    Case(
        "expander-returning-none",
        expander_returning("None"),
        run(["joined"]),
        ExpanderValueError,
        what="returned None from a Parallelizable[] function",
        where="'item' (bad_expander_returning_none.item (line 4))",
        fix="is a return statement missing?",
    ),
    Case(
        "expander-returning-a-number",
        expander_returning("3"),
        run(["joined"]),
        ExpanderValueError,
        what="returned int 3 from a Parallelizable[] function, which is not a collection of items",
        where="'item' (bad_expander_returning_a_number.item (line 4))",
        fix="Return a list (or any iterable) of the items",
    ),
]

QUERIES = [
    Case(
        "upstream-of-an-unknown-node",
        PLAIN,
        on_driver(lambda dr: dr.what_is_upstream_of("totl")),
        SettingError,
        what="unknown node(s): 'totl'",
        where="what_is_upstream_of",
        fix="did you mean 'total'?",
    ),
    Case(
        "downstream-of-an-unknown-node",
        PLAIN,
        on_driver(lambda dr: dr.what_is_downstream_of("amuont")),
        SettingError,
        what="unknown node(s): 'amuont'",
        where="what_is_downstream_of",
        fix="did you mean 'amount'?",
    ),
    Case(
        "upstream-of-a-list",
        PLAIN,
        on_driver(lambda dr: dr.what_is_upstream_of(["total"])),
        SettingError,
        what="takes node names as separate arguments, not a list",
        where="what_is_upstream_of",
        fix="what_is_upstream_of(*['total'])",
    ),
    Case(
        "visualize-an-unknown-output",
        PLAIN,
        on_driver(lambda dr: dr.visualize_execution(["totl"])),
        ExecutionRequestError,
        what="unknown output 'totl'",
        where="no function or input of that name",
        fix="Did you mean 'total'?",
    ),
    Case(
        "visualize-a-string",
        PLAIN,
        on_driver(lambda dr: dr.visualize_execution("total")),
        ExecutionRequestError,
        what="not the string 'total'",
        where="final_vars",
        fix="write ['total']",
    ),
]

BUILDER = [
    Case(
        "with-modules-a-string",
        PLAIN,
        alone(lambda: driver.Builder().with_modules("os.path")),
        SettingError,
        what="not the string 'os.path'",
        where="with_modules",
        fix="importlib.import_module('os.path')",
    ),
    Case(
        "with-modules-a-list",
        PLAIN,
        lambda modules: driver.Builder().with_modules(modules),
        SettingError,
        what="a list",
        where="with_modules",
        fix="with_modules(*modules)",
    ),
    Case(
        "with-modules-none",
        PLAIN,
        alone(lambda: driver.Builder().with_modules(None)),
        SettingError,
        what="not None",
        where="with_modules",
        fix="pass imported modules",
    ),
    Case(
        "with-config-none",
        PLAIN,
        on_builder(lambda b: b.with_config(None)),
        SettingError,
        what="the config must be a dict",
        where="with_config(None)",
        fix="with_config({'key': value})",
    ),
    Case(
        "with-config-a-string",
        PLAIN,
        on_builder(lambda b: b.with_config("mode=fast")),
        SettingError,
        what="the config must be a dict",
        where="with_config('mode=fast')",
        fix="with_config({'key': value})",
    ),
    Case(
        "remote-executor-without-dynamic-execution",
        PLAIN,
        on_builder(lambda b: b.with_remote_executor(executors.MultiThreadingExecutor(2))),
        SettingError,
        what="needs enable_dynamic_execution()",
        where="with_remote_executor",
        fix="call enable_dynamic_execution(allow_experimental_mode=True) before it",
    ),
    Case(
        "local-executor-without-dynamic-execution",
        PLAIN,
        on_builder(lambda b: b.with_local_executor(executors.SynchronousLocalTaskExecutor())),
        SettingError,
        what="needs enable_dynamic_execution()",
        where="with_local_executor",
        fix="call enable_dynamic_execution(allow_experimental_mode=True) before it",
    ),
    Case(
        "grouping-without-dynamic-execution",
        PLAIN,
        on_builder(lambda b: b.with_grouping_strategy(grouping.GroupNodesIndividually())),
        SettingError,
        what="needs enable_dynamic_execution()",
        where="with_grouping_strategy",
        fix="call enable_dynamic_execution(allow_experimental_mode=True) before it",
    ),
    Case(
        "manager-without-dynamic-execution",
        PLAIN,
        on_builder(lambda b: b.with_execution_manager(executors.DefaultExecutionManager())),
        SettingError,
        what="needs enable_dynamic_execution()",
        where="with_execution_manager",
        fix="call enable_dynamic_execution(allow_experimental_mode=True) before it",
    ),
    Case(
        "progress-bar-without-dynamic-execution",
        PLAIN,
        on_builder(lambda b: b.with_progress_bar().build()),
        SettingError,
        what="with_progress_bar() needs enable_dynamic_execution()",
        where="with_progress_bar",
        fix="Add .enable_dynamic_execution(allow_experimental_mode=True) to the Builder",
    ),
    Case(
        "manager-after-an-executor",
        PLAIN,
        alone(
            lambda: (
                dynamic_builder()
                .with_remote_executor(executors.MultiThreadingExecutor(2))
                .with_execution_manager(executors.DefaultExecutionManager())
            )
        ),
        SettingError,
        what="either an execution manager or local/remote executors, not both",
        where="with_execution_manager",
        fix="give the executors to the manager",
    ),
    Case(
        "executor-after-a-manager",
        PLAIN,
        on_builder(
            lambda b: (
                b.enable_dynamic_execution(allow_experimental_mode=True)
                .with_execution_manager(executors.DefaultExecutionManager())
                .with_local_executor(executors.SynchronousLocalTaskExecutor())
                .build()
            )
        ),
        SettingError,
        what="either an execution manager or local/remote executors, not both",
        where="build()",
        fix="give the executors to the manager",
    ),
    Case(
        "remote-executor-a-class",
        PLAIN,
        alone(lambda: dynamic_builder().with_remote_executor(executors.MultiThreadingExecutor)),
        SettingError,
        what="MultiThreadingExecutor is a class",
        where="with_remote_executor",
        fix="pass an instance: MultiThreadingExecutor()",
    ),
    Case(
        "remote-executor-a-string",
        PLAIN,
        alone(lambda: dynamic_builder().with_remote_executor("threads")),
        SettingError,
        what="'threads' is not a task executor",
        where="with_remote_executor",
        fix="executors.MultiThreadingExecutor(max_tasks=4)",
    ),
    Case(
        "manager-that-is-an-executor",
        PLAIN,
        alone(lambda: dynamic_builder().with_execution_manager(executors.MultiThreadingExecutor(2))),
        SettingError,
        what="is not an execution manager",
        where="with_execution_manager",
        fix="with_remote_executor(...)",
    ),
    Case(
        "grouping-strategy-a-class",
        PLAIN,
        alone(lambda: dynamic_builder().with_grouping_strategy(grouping.GroupNodesIndividually)),
        SettingError,
        what="GroupNodesIndividually is a class",
        where="with_grouping_strategy",
        fix="pass an instance: GroupNodesIndividually()",
    ),
    Case(
        "with-adapters-a-graph-adapter-class",
        PLAIN,
        on_builder(lambda b: b.with_adapters(base.SimplePythonGraphAdapter)),
        SettingError,
        what="SimplePythonGraphAdapter is a class",
        where="with_adapters",
        fix="pass an instance: SimplePythonGraphAdapter()",
    ),
    Case(
        "with-adapter-a-class",
        PLAIN,
        on_builder(lambda b: b.with_adapter(base.DefaultAdapter)),
        SettingError,
        what="DefaultAdapter is a class",
        where="with_adapter",
        fix="pass an instance: DefaultAdapter()",
    ),
    Case(
        "with-adapters-two-graph-adapters",
        PLAIN,
        on_builder(lambda b: b.with_adapters(base.DefaultAdapter(), base.SimplePythonGraphAdapter())),
        SettingError,
        what="only one graph adapter can run the nodes; got two",
        where="with_adapters",
        fix="Keep one",
    ),
    Case(
        "with-adapters-something-else",
        PLAIN,
        on_builder(lambda b: b.with_adapters(3)),
        SettingError,
        what="3 is neither a graph adapter nor a result builder",
        where="with_adapters",
        fix="base.DictResult()",
    ),
    Case(
        "with-result-builder-something-else",
        PLAIN,
        on_builder(lambda b: b.with_result_builder("dict")),
        SettingError,
        what="'dict' is not a result builder",
        where="with_result_builder",
        fix="base.DictResult()",
    ),
    Case(
        "with-adapters-a-result-builder-class",
        PLAIN,
        on_builder(lambda b: b.with_adapters(base.PandasDataFrameResult)),
        HamilflowWarning,
        what="PandasDataFrameResult is a class",
        where="with_adapters",
        fix="pass an instance: PandasDataFrameResult()",
    ),
    Case(
        "builder-without-modules",
        PLAIN,
        alone(lambda: driver.Builder().build()),
        HamilflowWarning,
        what="no modules",
        where="Builder().build()",
        fix="with_modules(",
    ),
]

EXECUTORS = [
    Case(
        "processes-max-tasks-negative",
        PLAIN,
        alone(lambda: executors.MultiProcessingExecutor(max_tasks=-1)),
        SettingError,
        what="max_tasks must be 1 or more",
        where="MultiProcessingExecutor(max_tasks=-1)",
        fix="leave it out to use one per CPU",
    ),
    Case(
        "processes-max-tasks-zero",
        PLAIN,
        alone(lambda: executors.MultiProcessingExecutor(max_tasks=0)),
        SettingError,
        what="max_tasks must be 1 or more",
        where="MultiProcessingExecutor(max_tasks=0)",
        fix="Pass a positive number such as max_tasks=4",
    ),
    Case(
        "processes-unknown-start-method",
        PLAIN,
        alone(lambda: executors.MultiProcessingExecutor(start_method="bogus")),
        SettingError,
        what="no such multiprocessing start method",
        where="MultiProcessingExecutor(start_method='bogus')",
        fix="Use one of 'fork'" if sys.platform == "linux" else "Use one of",
    ),
    Case(
        "threads-max-tasks-negative",
        PLAIN,
        alone(lambda: executors.MultiThreadingExecutor(max_tasks=-1)),
        SettingError,
        what="max_tasks must be 1 or more",
        where="MultiThreadingExecutor(max_tasks=-1)",
        fix="leave it out to use one per CPU",
    ),
    Case(
        "threads-max-tasks-zero",
        PLAIN,
        alone(lambda: executors.MultiThreadingExecutor(0)),
        SettingError,
        what="max_tasks must be 1 or more",
        where="MultiThreadingExecutor(max_tasks=0)",
        fix="leave it out to use one per CPU",
    ),
    Case(
        "threads-max-tasks-a-string",
        PLAIN,
        alone(lambda: executors.MultiThreadingExecutor(max_tasks="4")),
        SettingError,
        what="must be a whole number, not str",
        where="MultiThreadingExecutor(max_tasks='4')",
        fix="Pass an int such as max_tasks=4",
    ),
    Case(
        "threads-max-tasks-a-float",
        PLAIN,
        alone(lambda: executors.MultiThreadingExecutor(max_tasks=2.5)),
        SettingError,
        what="must be a whole number, not float",
        where="MultiThreadingExecutor(max_tasks=2.5)",
        fix="Pass an int such as max_tasks=4",
    ),
]

COMMAND = [
    Case(
        "run-a-module-that-does-not-exist",
        PLAIN,
        command("run", "-m", "bad_no_such_module", "--no-progress"),
        HamilflowError,
        what="cannot import module 'bad_no_such_module'",
        where="-m bad_no_such_module",
        fix="on PYTHONPATH",
    ),
    Case(
        "run-a-file-path-as-module",
        PLAIN,
        command("run", "-m", "pipelines/bad.py", "--no-progress"),
        HamilflowError,
        what="cannot import module 'pipelines/bad.py'",
        where="-m pipelines/bad.py",
        fix="by its import path, like pipelines.bad",
    ),
    Case(
        "run-input-without-equals",
        PLAIN,
        command("run", "-m", "{module}", "--input", "amount", "--no-progress"),
        SettingError,
        what="got 'amount'",
        where="--input",
        fix="--input NAME=VALUE",
    ),
    Case(
        "run-config-without-equals",
        PLAIN,
        command("run", "-m", "{module}", "--config", "fast", "--no-progress"),
        SettingError,
        what="got 'fast'",
        where="--config",
        fix="--config NAME=VALUE",
    ),
    Case(
        "run-input-without-a-name",
        PLAIN,
        command("run", "-m", "{module}", "--input", "=3", "--no-progress"),
        SettingError,
        what="got '=3'",
        where="--input",
        fix="--input NAME=VALUE",
    ),
    Case(
        "run-input-with-broken-json",
        PLAIN,
        command("run", "-m", "{module}", "--input", "amounts=[1, 2", "--no-progress"),
        SettingError,
        what="'[1, 2' looks like JSON but is not valid JSON",
        where="--input amounts=",
        fix="quote it as a JSON string",
    ),
    Case(
        "run-with-zero-workers",
        PLAIN,
        command("run", "-m", "{module}", "--executor", "threads", "--workers", "0", "--no-progress"),
        SettingError,
        what="max_tasks must be 1 or more",
        where="MultiThreadingExecutor(max_tasks=0)",
        fix="leave it out to use one per CPU",
    ),
    Case(
        "run-an-unknown-output",
        PLAIN,
        command("run", "-m", "{module}", "--output-var", "totl", "--input", "amount=1", "--no-progress"),
        ExecutionRequestError,
        what="unknown output 'totl'",
        where="no function or input of that name",
        fix="Did you mean 'total'?",
    ),
    Case(
        "run-a-pipeline-with-a-cycle",
        "def a(b: int) -> int:\n    return b\n\n\ndef b(a: int) -> int:\n    return a\n",
        command("run", "-m", "{module}", "--no-progress"),
        GraphError,
        what="cycle: a -> b -> a",
        where="bad_run_a_pipeline_with_a_cycle.a (line 1)",
        fix="break the loop",
    ),
    Case(
        "airflow-test-conf-not-json",
        PLAIN,
        command("airflow-test", "dag.py", "--conf", "{corpus: empty}"),
        SettingError,
        what="is not valid JSON",
        where="--conf",
        fix="""--conf '{"corpus": "empty"}'""",
    ),
    Case(
        "airflow-test-conf-not-an-object",
        PLAIN,
        command("airflow-test", "dag.py", "--conf", "[1, 2]"),
        SettingError,
        what="must be a JSON object",
        where="--conf",
        fix="""--conf '{"corpus": "empty"}'""",
    ),
]

COMPILE = [
    Case(
        "compile-a-block-that-is-never-collected",
        """
from hamilflow.htypes import Parallelizable


def item(items: list) -> Parallelizable[int]:
    return items


def squared(item: int) -> int:
    return item * item
""",
        compiled(),
        GraphError,  # a CompileError
        what="the Parallelizable block of 'item' (bad_compile_a_block_that_is_never_collected.item (line 4)) is "
        "never collected: no function takes 'squared' as Collect[...]",
        where="bad_compile_a_block_that_is_never_collected.item (line 4)",
        fix="Add a function that collects a node of the block (e.g. `def total(squared: Collect[...]) -> ...`), "
        "or request only nodes outside it",
    ),
    Case(
        "compile-without-the-config-key-of-a-config-when",
        VARIANTS,
        compiled(),
        GraphError,  # a CompileError
        what="'score' is defined only by @config.when functions, and this config selects none of them (mode not set)",
        where="required by 'report' (bad_compile_without_the_config_key_of_a_config_when.report (line 14))",
        fix="When compiling: --config mode=fast",
    ),
    Case(
        "compile-a-node-named-with-a-newline",
        """
from hamilton.function_modifiers import config


@config.when(name="score\\nimport os", mode="fast")
def score__fast() -> int:
    return 1
""",
        compiled(config={"mode": "fast"}, grouping="all"),
        GraphError,  # a CompileError
        what="node 'score\\nimport os' (bad_compile_a_node_named_with_a_newline.score__fast (line 4)) has a name that "
        "is not a Python name: it contains the control character '\\n'",
        where="bad_compile_a_node_named_with_a_newline.score__fast (line 4)",
        fix="rename it to an identifier (for a decorator that names nodes, such as @config.when(name=...)",
    ),
]

CASES = GRAPH + DRIVER + REQUEST + RUNTIME + QUERIES + BUILDER + EXECUTORS + COMMAND + COMPILE
PENDING = {case.id for case in RUNTIME}  # pass once node_runner.py calls items_of


def _params() -> list[Any]:
    return [pytest.param(case, id=case.id, marks=[_ITEMS_OF_PENDING] if case.id in PENDING else []) for case in CASES]


# ------------------------------------------------------------------------------------ machinery
def _load(case: Case) -> list[types.ModuleType]:
    sources = (case.source,) if isinstance(case.source, str) else case.source
    stem = "bad_" + case.id.replace("-", "_")
    names = [stem] if len(sources) == 1 else [f"{stem}_{'abcdefgh'[i]}" for i in range(len(sources))]
    modules = []
    for name, source in zip(names, sources):
        module = types.ModuleType(name)
        sys.modules[name] = module  # importable, as a user's module is (Hamilton and `hamilflow run` look it up)
        exec(compile(textwrap.dedent(source).lstrip("\n"), f"{name}.py", "exec", dont_inherit=True), module.__dict__)
        modules.append(module)
    return modules


def _message(error: BaseException) -> str:
    return "\n".join([str(error), *getattr(error, "__notes__", [])])


def outcome(case: Case) -> str:
    """Run the case; return the message of the error (or warnings) it expects, failing if there is none."""
    modules = _load(case)
    try:
        if issubclass(case.raises, Warning):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                case.call(modules)
            found = [str(w.message) for w in caught if issubclass(w.category, case.raises)]
            assert found, f"no {case.raises.__name__}; got {[str(w.message) for w in caught]}"
            return "\n".join(found)
        with pytest.raises(case.raises) as caught:
            case.call(modules)
        return _message(caught.value)
    finally:
        for module in modules:
            sys.modules.pop(module.__name__, None)


@pytest.mark.parametrize("case", _params())
def test_bad_input_is_named_located_and_fixable(case: Case) -> None:
    message = outcome(case)
    for part, text in (("what", case.what), ("where", case.where), ("fix", case.fix)):
        assert text in message, f"the message does not say {part}: {text!r}\n--- message:\n{message}"


def test_the_catalogue_is_large_and_every_answer_is_hamilflows() -> None:
    assert len(CASES) >= 80
    assert len({case.id for case in CASES}) == len(CASES)
    for case in CASES:
        assert issubclass(case.raises, (HamilflowError, HamilflowWarning)), case.id
        assert case.what and case.where and case.fix, case.id


def test_graph_and_request_errors_are_still_value_errors() -> None:
    # ported `except ValueError:` clauses keep catching them, as they caught Hamilton's
    assert issubclass(GraphError, ValueError) and issubclass(ExecutionRequestError, ValueError)
    assert issubclass(SettingError, ValueError) and issubclass(HamilflowWarning, UserWarning)


# ------------------------------------------------------------------ decisions, checked as behaviour
def test_an_empty_request_computes_nothing_and_returns_an_empty_result(module_from_source) -> None:
    # as Hamilton's Driver: a computed list of outputs may be empty; nothing runs, no warning
    module = module_from_source(PLAIN)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert driver.Driver({}, module, adapter=base.DefaultAdapter()).execute([]) == {}
        assert dynamic_builder().with_modules(module).build().execute([]) == {}


def test_a_module_passed_twice_is_read_once(module_from_source) -> None:
    module = module_from_source(PLAIN)
    dr = driver.Driver({}, module, module, adapter=base.DefaultAdapter())
    assert dr.execute(["doubled"], inputs={"amount": 1}) == {"doubled": 2}


def test_an_expander_may_return_any_iterable_and_a_dict_gives_its_keys() -> None:
    node = Node("item", str, kind=NodeKind.EXPANDER, module="m", function_name="item", line=1)
    assert items_of(node, ["a", "b"]) == ["a", "b"]
    assert items_of(node, (c for c in "ab")) == ["a", "b"]
    assert items_of(node, range(2)) == [0, 1]
    assert items_of(node, {"us": 1, "eu": 2}) == ["us", "eu"]  # as iterating a dict does, and Hamilton
    with pytest.raises(ExpanderValueError, match="returned the str 'ab'"):
        items_of(node, "ab")


def test_a_generator_failing_inside_an_expander_raises_the_users_own_error() -> None:
    node = Node("item", int, kind=NodeKind.EXPANDER)

    def broken():
        yield 1
        raise TypeError("the user's own")

    with pytest.raises(TypeError, match="the user's own"):
        items_of(node, broken())


def test_a_result_builder_class_still_builds_results(module_from_source) -> None:
    # Hamilton accepts (and ignores) a class; its build_result is static, so hamilflow uses it, with a warning
    module = module_from_source(PLAIN)
    with pytest.warns(HamilflowWarning, match="pass an instance"):
        dr = driver.Builder().with_modules(module).with_adapters(base.DictResult).build()
    assert dr.execute(["total"], inputs={"amount": 1}) == {"total": 1}


def test_a_result_builder_as_the_drivers_adapter_builds_the_result(module_from_source) -> None:
    # Hamilton's Driver accepts adapter=DictResult(): hamilflow runs the nodes plainly and uses it
    module = module_from_source(PLAIN)
    dr = driver.Driver({}, module, adapter=base.DictResult())
    assert dr.execute(["total"], inputs={"amount": 1}) == {"total": 1}


def test_warnings_point_at_the_users_line(module_from_source) -> None:
    module = module_from_source(PLAIN)
    dr = driver.Driver({}, module, adapter=base.DefaultAdapter())
    with pytest.warns(HamilflowWarning) as caught:
        dr.execute(["total"], inputs={"amount": 1, "bonsu": 2})
    assert caught[0].filename == __file__


def test_the_command_reports_a_bad_input_in_one_line_and_exits_2(module_from_source, capsys) -> None:
    module = module_from_source(PLAIN)
    assert cli.main(["run", "-m", module.__name__, "--input", "amount", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --input takes NAME=VALUE") and "Traceback" not in err


def test_the_command_passes_text_that_is_not_json_as_text(module_from_source, capsys) -> None:
    module = module_from_source("def shout(word: str) -> str:\n    return word.upper()\n")
    assert cli.main(["run", "-m", module.__name__, "--input", "word=hello there", "--no-progress"]) == 0
    assert capsys.readouterr().out.strip() == "shout = 'HELLO THERE'"
