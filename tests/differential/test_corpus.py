"""Every corpus pipeline gives the same results and the same nodes on Apache Hamilton and on hamilflow."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from hamilflow.execution import executors
from tests.differential import harness
from tests.differential.harness import PIPELINES

NAMES = harness.module_names(PIPELINES)


def test_the_corpus_is_large_and_covers_both_import_styles() -> None:
    texts = {name: Path(importlib.util.find_spec(f"{PIPELINES}.{name}").origin).read_text() for name in NAMES}
    assert len(NAMES) >= 60
    assert sum("from hamilflow.function_modifiers import" in t for t in texts.values()) >= 10
    assert len(harness.marked_for_airflow(PIPELINES)) >= 15


@pytest.mark.parametrize("name", NAMES)
def test_hamilflow_driver_equals_hamilton(name: str) -> None:
    expected = harness.hamilton_result(PIPELINES, name)
    module = harness.fresh_module(PIPELINES, name)

    actual = harness.execute(harness.hamilflow_driver(module), module)

    harness.assert_same_results(expected, actual)


@pytest.mark.parametrize("name", NAMES)
def test_hamilflow_lists_the_nodes_hamilton_lists(name: str) -> None:
    reference = harness.variables(harness.hamilton_driver(harness.fresh_module(PIPELINES, name)))
    listed = harness.variables(harness.hamilflow_driver(harness.fresh_module(PIPELINES, name)))

    assert sorted(listed) == sorted(reference)
    external = {n: v[0] for n, v in listed.items()}
    assert external == {n: v[0] for n, v in reference.items()}
    tags = {n: v[1] for n, v in listed.items()}
    assert tags == {n: v[1] for n, v in reference.items()}


@pytest.mark.parametrize("name", NAMES)
def test_hamilflow_gives_each_variable_the_type_hamilton_gives(name: str) -> None:
    """Compared as text: each run imports the module afresh, so a class defined in it is a new object."""
    reference = harness.hamilton_driver(harness.fresh_module(PIPELINES, name)).list_available_variables()
    listed = harness.hamilflow_driver(harness.fresh_module(PIPELINES, name)).list_available_variables()

    assert {v.name: str(v.type) for v in listed} == {v.name: str(v.type) for v in reference}


@pytest.mark.parametrize("name", NAMES)
def test_hamilflow_with_a_process_pool_equals_hamilton(name: str) -> None:
    expected = harness.hamilton_result(PIPELINES, name)
    module = harness.fresh_module(PIPELINES, name)
    dr = harness.hamilflow_driver(module, executors.MultiProcessingExecutor(max_tasks=2))

    actual = harness.execute(dr, module)

    harness.assert_same_results(expected, actual)


@pytest.mark.parametrize("name", NAMES)
def test_hamilflow_runs_a_module_hamilton_has_already_run(name: str) -> None:
    """One module object, first run by Hamilton (whose config.when renames functions), then by hamilflow."""
    module = harness.fresh_module(PIPELINES, name)
    expected = harness.execute(harness.hamilton_driver(module), module)

    actual = harness.execute(harness.hamilflow_driver(module), module)

    harness.assert_same_results(expected, actual)
