"""examples/graceful_parallel: with GracefulErrorAdapter, hamilflow reports what Apache Hamilton reports."""

from __future__ import annotations

import importlib

import pytest

from hamilflow.execution import executors

MODULE = "examples.graceful_parallel.pipeline"
EXPECTED_MISSING = 2  # atlantis and el dorado, by default


def _driver(driver_module, adapters, executor=None):
    builder = (
        driver_module.Builder()
        .with_modules(importlib.import_module(MODULE))
        .with_adapters(*adapters)
        .enable_dynamic_execution(allow_experimental_mode=True)
    )
    return builder.with_remote_executor(executor).build() if executor is not None else builder.build()


@pytest.mark.parametrize("back_end", ["driver", "threads", "processes"])
def test_failed_cities_are_reported_as_hamilton_reports_them(back_end) -> None:
    from hamilton import driver as hamilton_driver

    from hamilflow import driver

    pipeline = importlib.import_module(MODULE)
    expected = _driver(hamilton_driver, pipeline.graceful_errors()).execute(["report"])
    pool = {"driver": None, "threads": executors.MultiThreadingExecutor(2),
            "processes": executors.MultiProcessingExecutor(2)}[back_end]  # fmt: skip
    actual = _driver(driver, pipeline.graceful_errors(), pool).execute(["report"])

    assert actual == expected
    assert expected["report"]["missing"] == EXPECTED_MISSING and len(expected["report"]["lines"]) == 4
    assert [line.split(":")[0] for line in expected["report"]["lines"]] == ["oslo", "rome", "lima", "cairo"]


def test_without_the_adapter_the_first_failure_stops_both() -> None:
    """Hamilton runs items one by one and fails on atlantis; hamilflow may run el dorado first."""
    from hamilton import driver as hamilton_driver

    from hamilflow import driver

    pipeline = importlib.import_module(MODULE)
    for driver_module in (hamilton_driver, driver):
        with pytest.raises(pipeline.ForecastUnavailable, match="no forecast for (atlantis|el dorado)"):
            _driver(driver_module, []).execute(["report"])


def test_every_city_available_gives_no_missing_one() -> None:
    from hamilton import driver as hamilton_driver

    from hamilflow import driver

    pipeline = importlib.import_module(MODULE)
    inputs = {"unavailable": ""}
    results = [
        _driver(d, pipeline.graceful_errors()).execute(["report"], inputs=inputs) for d in (hamilton_driver, driver)
    ]
    assert results[0] == results[1] and results[0]["report"]["missing"] == 0 and len(results[0]["report"]["lines"]) == 6
