"""The corpus pipelines marked ``AIRFLOW = True``, compiled to DAG files and run on Airflow 3, equal Hamilton."""

from __future__ import annotations

import pytest

from tests.differential import harness
from tests.differential.harness import PIPELINES

pytestmark = pytest.mark.airflow


@pytest.mark.parametrize("name", harness.marked_for_airflow(PIPELINES))
def test_compiled_dag_equals_hamilton(name: str, compile_dag, run_dag) -> None:
    expected = harness.hamilton_result(PIPELINES, name)
    outputs, inputs, config = harness.settings(harness.fresh_module(PIPELINES, name))
    harness.forget(PIPELINES, name)  # the DAG file imports the pipeline itself, as a worker would
    path = compile_dag(f"{PIPELINES}.{name}", f"differential_{name}", final_vars=outputs, config=config, params=inputs)

    result = run_dag(path)

    harness.assert_same_results(expected, result.outputs)
