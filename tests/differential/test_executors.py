"""The corpus on every other executor: threads, Dask and Ray run each pipeline entirely (local and remote)."""

from __future__ import annotations

import pytest

from hamilflow import driver
from hamilflow.execution import executors, grouping
from tests.differential import harness
from tests.differential.harness import PIPELINES
from tests.test_executors import dask_client, ray_owner  # noqa: F401 - module-scoped clusters, started once

NAMES = harness.module_names(PIPELINES)


def _everything_on(module, executor: executors.TaskExecutor):
    """Every node its own task, local and remote tasks alike on ``executor``: nothing runs in the test's process."""
    _, _, config = harness.settings(module)
    return (
        driver.Builder()
        .with_modules(module)
        .with_config(config)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_local_executor(executor)
        .with_remote_executor(executor)
        .with_grouping_strategy(grouping.GroupNodesIndividually())
        .build()
    )


def _check(name: str, executor: executors.TaskExecutor) -> None:
    expected = harness.hamilton_result(PIPELINES, name)
    module = harness.fresh_module(PIPELINES, name)
    harness.assert_same_results(expected, harness.execute(_everything_on(module, executor), module))


@pytest.mark.parametrize("name", NAMES)
def test_on_threads_equals_hamilton(name: str) -> None:
    _check(name, executors.MultiThreadingExecutor(max_tasks=2))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_on_dask_equals_hamilton(name: str, dask_client) -> None:  # noqa: F811
    from hamilflow.plugins.h_dask import DaskExecutor

    _check(name, DaskExecutor(client=dask_client))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_on_ray_equals_hamilton(name: str, ray_owner) -> None:  # noqa: F811
    from hamilflow.plugins.h_ray import RayTaskExecutor

    _check(name, RayTaskExecutor(num_cpus=2))
