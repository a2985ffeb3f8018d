"""Runs a pipeline with lifecycle adapters on Apache Hamilton and on hamilflow, on a named back end.

Back ends: ``hamilton`` (the reference: Hamilton's Driver, with dynamic execution and its
synchronous task executor when the pipeline has a block or ``dynamic`` is asked), ``driver``
(hamilflow's Driver as the corpus harness builds it), ``dynamic`` (hamilflow with dynamic
execution, synchronously), ``threads`` (every node a task on two threads), ``processes``
(hamilflow with dynamic execution and a two-process pool for the blocks' tasks, as a Hamilton
user writes it), ``processes-everywhere`` (every node a task on the pool, so even the nodes
outside blocks run, and call their hooks, in workers) and ``everywhere`` (every node a task on
the ``executor`` given: Dask, Ray).
"""

from __future__ import annotations

import types
from typing import Any, Callable

from tests.differential import harness

BACK_ENDS = ("driver", "processes")


def builder(
    back_end: str, module: types.ModuleType, adapters: list[Any], dynamic: bool = False, executor: Any = None
) -> Any:
    """The Builder of ``back_end`` for ``module`` with ``adapters``; ``dynamic`` asks Hamilton for task-based runs."""
    config = harness.settings(module)[2] if hasattr(module, "OUTPUTS") else {}
    if back_end == "hamilton":
        from hamilton import driver
        from hamilton.execution import executors

        made = driver.Builder().with_modules(module).with_config(config).with_adapters(*adapters)
        if dynamic or harness.is_dynamic(module):
            made = made.enable_dynamic_execution(allow_experimental_mode=True).with_remote_executor(
                executors.SynchronousLocalTaskExecutor()
            )
        return made
    from hamilflow import driver
    from hamilflow.execution import executors, grouping

    made = driver.Builder().with_modules(module).with_config(config).with_adapters(*adapters)
    if back_end == "driver":
        return made
    made = made.enable_dynamic_execution(allow_experimental_mode=True)
    if back_end == "dynamic":
        return made.with_remote_executor(executors.SynchronousLocalTaskExecutor())
    if back_end == "threads":
        threads = executors.MultiThreadingExecutor(2)
        return (
            made.with_remote_executor(threads)
            .with_local_executor(threads)
            .with_grouping_strategy(grouping.GroupNodesIndividually())
        )
    if back_end == "everywhere":
        return (
            made.with_remote_executor(executor)
            .with_local_executor(executor)
            .with_grouping_strategy(grouping.GroupNodesIndividually())
        )
    pool = executors.MultiProcessingExecutor(2)
    if back_end == "processes":
        return made.with_remote_executor(pool)
    if back_end == "processes-everywhere":
        return (
            made.with_remote_executor(pool)
            .with_local_executor(pool)
            .with_grouping_strategy(grouping.GroupNodesIndividually())
        )
    raise ValueError(f"unknown back end {back_end}")


def outcome(run: Callable[[], Any]) -> tuple[str, Any]:
    """``("result", value)`` or ``("error", (type name, message))``: what a run gave, to compare."""
    try:
        return "result", run()
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared with Hamilton's
        return "error", (type(error).__name__, str(error))


def corpus_run(
    back_end: str, name: str, adapters: list[Any], dynamic: bool = False, executor: Any = None
) -> tuple[str, Any]:
    """Run corpus pipeline ``name`` (its OUTPUTS, INPUTS, CONFIG), freshly imported, with ``adapters``."""
    module = harness.fresh_module(harness.PIPELINES, name)
    outputs, inputs, _ = harness.settings(module)
    made = builder(back_end, module, adapters, dynamic, executor)
    return outcome(lambda: made.build().execute(outputs, inputs=inputs))


def assert_same_outcome(expected: tuple[str, Any], actual: tuple[str, Any]) -> None:
    assert actual[0] == expected[0], f"{actual} instead of {expected}"
    if expected[0] == "result" and isinstance(expected[1], dict):
        harness.assert_same_results(expected[1], actual[1])
    else:
        assert actual == expected
