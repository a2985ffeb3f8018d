"""Shared pytest fixtures. Keep each one small and generic, with a comment saying what it is for."""

from __future__ import annotations

import itertools
import sys
import types
from typing import Callable

import cloudpickle
import pytest

pytest_plugins = ["tests.airflow_fixtures"]  # the embedded-Airflow fixtures, for every folder that asks

_module_numbers = itertools.count()


# Builds a throw-away pipeline module from source text, as if a user had written it in a file.
# Used where a test needs many small variants (type rules) or a generated one (a 100,000-node chain).
@pytest.fixture
def module_from_source() -> Callable[..., types.ModuleType]:
    def make(source: str, name: str | None = None) -> types.ModuleType:
        name = name or f"generated_pipeline_{next(_module_numbers)}"
        module = types.ModuleType(name)
        sys.modules[name] = module  # importable, as a user's module is (Hamilton looks functions' modules up)
        cloudpickle.register_pickle_by_value(module)  # worker processes cannot import it: ship its code
        exec(compile(source, f"{name}.py", "exec", dont_inherit=True), module.__dict__)  # no __future__ of ours
        for value in vars(module).values():
            if isinstance(value, types.FunctionType) and value.__globals__ is module.__dict__:
                value.__module__ = name  # defined here (imported functions keep their own module)
        return module

    return make


# The scheduler suite runs a real Airflow too: `-m "not airflow"` leaves it out with the rest.
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("scheduler") is not None and item.get_closest_marker("airflow") is None:
            item.add_marker(pytest.mark.airflow)
