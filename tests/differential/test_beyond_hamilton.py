"""What hamilflow runs beyond Hamilton's caveats (nested blocks, several collectors), against stated results."""

from __future__ import annotations

import logging

import pytest

from hamilflow.execution import executors
from tests.differential import harness

BEYOND = "tests.differential.beyond_hamilton"
NAMES = harness.module_names(BEYOND)


@pytest.mark.parametrize("name", NAMES)
def test_hamilton_cannot_run_it(name: str, caplog: pytest.LogCaptureFixture) -> None:
    """If Hamilton learns to run one of these, move it to the differential corpus."""
    caplog.set_level(logging.CRITICAL)
    module = harness.fresh_module(BEYOND, name)
    try:
        result = harness.execute(harness.hamilton_driver(module), module)
    except Exception:  # noqa: BLE001 - any failure shows the caveat
        return
    assert result != module.EXPECTED


@pytest.mark.parametrize("name", NAMES)
def test_hamilflow_driver_gives_the_stated_result(name: str) -> None:
    module = harness.fresh_module(BEYOND, name)

    harness.assert_same_results(module.EXPECTED, harness.execute(harness.hamilflow_driver(module), module))


@pytest.mark.parametrize("name", NAMES)
def test_hamilflow_process_pool_gives_the_stated_result(name: str) -> None:
    module = harness.fresh_module(BEYOND, name)
    dr = harness.hamilflow_driver(module, executors.MultiProcessingExecutor(max_tasks=2))

    harness.assert_same_results(module.EXPECTED, harness.execute(dr, module))
