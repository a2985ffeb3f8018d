"""A block's partial-failure policy: failed items are left out of the collection and reported, on every executor."""

from __future__ import annotations

import importlib
import warnings

import pytest

from hamilflow import driver
from hamilflow.errors import SettingError
from hamilflow.execution import executors
from hamilflow.execution.item_failures import ItemFailuresWarning, TooManyItemsFailedError

BLOCK = """
from hamilton.function_modifiers import tag
from hamilton.htypes import Collect, Parallelizable

@tag(min_success_ratio=RATIO)
def row(n: int) -> Parallelizable[int]:
    yield from range(n)

def inverse(row: int) -> float:
    if row % 3 == 0:
        raise ValueError(f"row {row} is a multiple of three")
    return 1 / row

def shifted(inverse: float) -> float:
    return inverse + 1

def total(shifted: Collect[float]) -> float:
    return sum(shifted)

def kept(shifted: Collect[float]) -> int:
    return len(shifted)
"""


def _executor(name: str):
    return {
        "sync": executors.SynchronousLocalTaskExecutor,
        "threads": lambda: executors.MultiThreadingExecutor(2),
        "processes": lambda: executors.MultiProcessingExecutor(2),
    }[name]()


def _driver(module, executor: str):
    return (
        driver.Builder()
        .with_modules(module)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(_executor(executor))
        .build()
    )


@pytest.mark.parametrize("executor", ["sync", "threads", "processes"])
def test_failed_items_are_left_out_and_reported(module_from_source, executor) -> None:
    module = module_from_source(BLOCK.replace("RATIO", '"0.5"'))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _driver(module, executor).execute(["total", "kept"], inputs={"n": 20})
    survivors = [i for i in range(20) if i % 3]
    assert result == {"total": pytest.approx(sum(1 / i + 1 for i in survivors)), "kept": len(survivors)}
    (warning,) = [w.message for w in caught if isinstance(w.message, ItemFailuresWarning)]
    assert [(f.block, f.index, f.node) for f in warning.failures] == [("row", (i,), "inverse") for i in range(0, 20, 3)]
    assert "7 of the 20 items of block 'row' failed" in str(warning)
    assert "row[3]: node 'inverse' raised ValueError: row 3 is a multiple of three" in str(warning)


@pytest.mark.parametrize("executor", ["sync", "processes"])
def test_too_few_successes_fail_the_run_naming_every_failed_item(module_from_source, executor) -> None:
    module = module_from_source(BLOCK.replace("RATIO", '"0.9"'))
    with pytest.raises(TooManyItemsFailedError) as raised:
        _driver(module, executor).execute(["total"], inputs={"n": 7})
    assert [f.index for f in raised.value.failures] == [(0,), (3,), (6,)]
    assert "3 of the 7 items of block 'row' failed" in str(raised.value)
    assert "at least 90% succeed" in str(raised.value)


@pytest.mark.parametrize("executor", ["sync", "processes"])
def test_a_failure_in_an_inner_block_without_a_policy_drops_the_outer_item(executor) -> None:
    module = importlib.import_module("tests.resources.airflow.lossy")  # also run on Airflow, by its tests
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _driver(module, executor).execute(["all_sales"], inputs={"regions": 4})
    # region 1 loses store (1, 1), so the whole region goes; region 2's expander fails; 0 and 3 remain
    assert result == {"all_sales": [0 + 1 + 2, 30 + 31 + 32]}
    (warning,) = [w.message for w in caught if isinstance(w.message, ItemFailuresWarning)]
    assert [(f.index, f.node) for f in warning.failures] == [((1,), "sales"), ((2,), "store")]


def test_without_a_policy_a_failing_item_still_stops_the_run(module_from_source) -> None:
    module = module_from_source(BLOCK.replace("@tag(min_success_ratio=RATIO)\n", ""))
    with pytest.raises(ValueError, match="row 0 is a multiple of three"):
        _driver(module, "sync").execute(["total"], inputs={"n": 4})


@pytest.mark.parametrize("ratio", ['"most"', '"1.5"', '"-0.1"'])
def test_a_ratio_that_is_not_a_fraction_is_refused_before_anything_runs(module_from_source, ratio) -> None:
    module = module_from_source(BLOCK.replace("RATIO", ratio))
    with pytest.raises(SettingError, match=r"min_success_ratio=.* on 'row' \(.*line \d+\).*between 0 and 1"):
        _driver(module, "sync").execute(["total"], inputs={"n": 4})


def test_the_items_after_a_failure_in_a_worker_batch_still_run(module_from_source) -> None:
    """A process worker runs several items per round trip: the ones after a failed item are run again, not lost."""
    module = module_from_source(BLOCK.replace("RATIO", '"0"'))
    result = _driver(module, "processes").execute(["kept"], inputs={"n": 300})
    assert result == {"kept": 200}


DYING = """
import os, time
from hamilton.function_modifiers import tag
from hamilton.htypes import Collect, Parallelizable

@tag(min_success_ratio="0.5")
def row(n: int) -> Parallelizable[int]:
    yield from range(n)

@tag(timeout="2s")
def checked(row: int) -> int:
    if row == 2:
        os._exit(3)  # the worker process dies
    if row == 4:
        time.sleep(60)  # past its time limit
    return row

def total(checked: Collect[int]) -> int:
    return sum(checked)
"""


def test_a_worker_that_dies_or_overruns_loses_its_item_not_the_run(module_from_source) -> None:
    module = module_from_source(DYING)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _driver(module, "processes").execute(["total"], inputs={"n": 6})
    assert result == {"total": 0 + 1 + 3 + 5}
    (warning,) = [w.message for w in caught if isinstance(w.message, ItemFailuresWarning)]
    assert [f.index for f in warning.failures] == [(2,), (4,)]
    assert "NodeTimeoutError" in str(warning.failures[1])
