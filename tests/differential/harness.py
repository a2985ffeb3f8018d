"""Runs one corpus module on Apache Hamilton and on hamilflow, and compares what each gives back.

Hamilton is the reference. Its ``config.when`` renames the functions it resolves in place, so
each run imports the module afresh (``fresh_module``): every back end sees the module exactly
as its author wrote it, as it would in a new process.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pandas as pd
import pandas.testing as pdt

PIPELINES = "tests.differential.pipelines"
_SUBDAGS = "tests.differential.subdags"


def module_names(package: str) -> list[str]:
    """The modules of ``package``, sorted by name (the ids of the parametrized tests)."""
    path = importlib.import_module(package).__path__
    return sorted(m.name for m in pkgutil.iter_modules(path))


def marked_for_airflow(package: str) -> list[str]:
    """The modules that set ``AIRFLOW = True``, read from their source without importing them."""
    marked = []
    for name in module_names(package):
        tree = ast.parse(Path(importlib.util.find_spec(f"{package}.{name}").origin).read_text())
        for statement in tree.body:
            if (
                isinstance(statement, ast.Assign)
                and [getattr(t, "id", None) for t in statement.targets] == ["AIRFLOW"]
                and getattr(statement.value, "value", None) is True
            ):
                marked.append(name)
    return marked


def forget(package: str, name: str) -> None:
    """Drop the module, and the subdag modules it may load, from ``sys.modules``."""
    stale = (f"{package}.{name}", _SUBDAGS)  # the package too: ``from package import x`` reads its attribute
    for loaded in [m for m in sys.modules if m in stale or m.startswith(f"{_SUBDAGS}.")]:
        del sys.modules[loaded]


def fresh_module(package: str, name: str) -> types.ModuleType:
    """Import ``package.name`` anew: new function objects, untouched by any earlier run."""
    forget(package, name)
    return importlib.import_module(f"{package}.{name}")


def settings(module: types.ModuleType) -> tuple[list[str], dict[str, Any], dict[str, Any]]:
    """The module's ``OUTPUTS``, ``INPUTS`` and ``CONFIG``."""
    return list(module.OUTPUTS), dict(getattr(module, "INPUTS", {})), dict(getattr(module, "CONFIG", {}))


def is_dynamic(module: types.ModuleType) -> bool:
    """Whether a function of the module returns ``Parallelizable[...]`` (Hamilton needs dynamic execution)."""
    from hamilton import htypes

    return any(
        typing.get_origin(getattr(fn, "__annotations__", {}).get("return")) is htypes.Parallelizable
        for fn in vars(module).values()
        if isinstance(fn, types.FunctionType)
    )


def hamilton_driver(module: types.ModuleType) -> Any:
    """Apache Hamilton's Driver for the module; blocks run one item after another in this process."""
    from hamilton import driver as hdriver
    from hamilton.execution import executors as hexecutors

    builder = hdriver.Builder().with_modules(module).with_config(settings(module)[2])
    if is_dynamic(module):
        builder = builder.enable_dynamic_execution(allow_experimental_mode=True).with_remote_executor(
            hexecutors.SynchronousLocalTaskExecutor()
        )
    return builder.build()


def hamilflow_driver(module: types.ModuleType, executor: Any = None) -> Any:
    """hamilflow's Driver for the module, built as a Hamilton user builds one; with ``executor`` for blocks."""
    from hamilflow import driver

    builder = driver.Builder().with_modules(module).with_config(settings(module)[2])
    if executor is not None:
        builder = builder.enable_dynamic_execution(allow_experimental_mode=True).with_remote_executor(executor)
    return builder.build()


def execute(dr: Any, module: types.ModuleType) -> Any:
    outputs, inputs, _ = settings(module)
    return dr.execute(outputs, inputs=inputs)


def hamilton_result(package: str, name: str) -> dict[str, Any]:
    """What Apache Hamilton computes for the module's outputs."""
    module = fresh_module(package, name)
    return execute(hamilton_driver(module), module)


def assert_same_value(expected: Any, actual: Any, where: str) -> None:
    """pandas objects through pandas.testing; anything else by type and ==."""
    if isinstance(expected, pd.DataFrame):
        pdt.assert_frame_equal(actual, expected, obj=where)
    elif isinstance(expected, pd.Series):
        pdt.assert_series_equal(actual, expected, obj=where)
    elif isinstance(expected, pd.Index):
        pdt.assert_index_equal(actual, expected, obj=where)
    else:
        assert type(actual) is type(expected), f"{where}: {type(actual).__name__} instead of {type(expected).__name__}"
        assert actual == expected, f"{where}: {actual!r} instead of {expected!r}"


def assert_same_results(expected: dict[str, Any], actual: Any) -> None:
    """``actual`` is a dict with the same keys as ``expected`` and equal values."""
    assert isinstance(actual, dict), f"execute() returned a {type(actual).__name__}, not a dict as Hamilton does"
    assert set(actual) == set(expected), f"outputs {sorted(actual)} instead of {sorted(expected)}"
    for key, value in expected.items():
        assert_same_value(value, actual[key], key)


def variables(dr: Any) -> dict[str, tuple[bool, dict[str, Any]]]:
    """Each listed variable's name -> (is_external_input, tags)."""
    return {v.name: (v.is_external_input, dict(v.tags)) for v in dr.list_available_variables()}
