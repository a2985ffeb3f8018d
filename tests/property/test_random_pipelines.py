"""Random pipelines on every back end, against a plain-Python evaluation (issue 13, hypothesis).

Each example is a random pipeline (see :mod:`tests.property.pipelines`: chains, diamonds,
blocks, nested blocks, several collectors, block nodes reading their own block's collector),
written as a module, imported, and run

* by a dynamic-execution driver on the synchronous, thread and process executors, under
  every grouping strategy;
* through the compiled runtime: compiled like a DAG file, then driven task by task with
  ``run_task`` on a local store, mapped tasks once per chunk, as Airflow would;

and every result must equal :func:`~tests.property.pipelines.evaluate`. The small budget runs
in CI; ``-m property_large`` runs many more, larger pipelines, on Dask and Ray too (300, or
``HAMILFLOW_PROPERTY_EXAMPLES``).
"""

from __future__ import annotations

import importlib
import itertools
import os
import sys
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from hypothesis import HealthCheck, given, settings

from hamilflow import driver
from hamilflow.compiler import CompileOptions, compile_pipeline
from hamilflow.execution import executors, grouping
from hamilflow.runtime.task import list_block_chunks, read_outputs, run_task
from tests.property.pipelines import Pipeline, evaluate, pipelines, source

_numbers = itertools.count()
SMALL = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same examples on every run of CI
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LARGE = settings(
    SMALL,
    max_examples=int(os.environ.get("HAMILFLOW_PROPERTY_EXAMPLES", "300")),  # the large budget's size
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Where the generated modules are written; on sys.path for the test module's time."""
    path = tmp_path_factory.mktemp("random_pipelines")
    sys.path.insert(0, str(path))
    yield path
    sys.path.remove(str(path))


def _module(folder: Path, pipeline: Pipeline) -> Any:
    name = f"random_pipeline_{next(_numbers)}"
    (folder / f"{name}.py").write_text(source(pipeline))
    module = importlib.import_module(name)
    cloudpickle.register_pickle_by_value(module)  # a forkserver worker may not see the folder on its path
    if "ray" in sys.modules:  # Ray pickles with its own copy of cloudpickle, which has its own registry
        sys.modules["ray"].cloudpickle.register_pickle_by_value(module)
    return module


def _local(module: Any, pipeline: Pipeline, executor: executors.TaskExecutor, strategy: str) -> dict[str, Any]:
    dr = (
        driver.Builder()
        .with_modules(module)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(executor)
        .with_grouping_strategy(grouping.STRATEGIES[strategy]())
        .build()
    )
    return dr.execute(pipeline.outputs, inputs={"x": pipeline.x})


def _compiled(folder: Path, module: Any, pipeline: Pipeline, strategy: str) -> dict[str, Any]:
    """Compile, then run every task as the DAG file's tasks would, in dependency order."""
    dag_id = f"{module.__name__}_{strategy}"
    compiled = compile_pipeline(
        CompileOptions(
            modules=[module.__name__],
            dag_id=dag_id,
            final_vars=pipeline.outputs,
            params={"x": pipeline.x},
            grouping=strategy,
            output=str(folder / f"{dag_id}.py"),
            store_url=str(folder / "store"),
            items_per_task=2,  # packed: a mapped instance runs up to two items
        )
    )
    spec, plan, run_id = compiled.spec, compiled.plan, "run"
    values = {**spec.config, "x": pipeline.x}
    done: set[str] = set()
    pending = list(plan.tasks)
    while pending:
        task = next(t for t in pending if all(plan.producer[v] in done for v in t.inputs))
        pending.remove(task)
        if task.path:
            for chunk in list_block_chunks(spec, task.path[-1], run_id):
                run_task(spec, task.name, run_id, values, chunk)
        else:
            run_task(spec, task.name, run_id, values)
        done.add(task.name)
    return read_outputs(spec, run_id)


LOCAL_EXECUTORS = {
    "sync": lambda: executors.SynchronousLocalTaskExecutor(),
    "threads": lambda: executors.MultiThreadingExecutor(2),
    "processes": lambda: executors.MultiProcessingExecutor(2),
}


def _check(folder: Path, pipeline: Pipeline, kinds: dict[str, Any], compiled: bool) -> None:
    expected = evaluate(pipeline)
    module = _module(folder, pipeline)
    for (kind, make), strategy in itertools.product(kinds.items(), grouping.STRATEGIES):
        got = _local(module, pipeline, make(), strategy)
        assert got == expected, f"{kind}, grouping {strategy}\n{source(pipeline)}"
    if compiled:
        for strategy in ("default", "all"):
            got = _compiled(folder, module, pipeline, strategy)
            assert got == expected, f"compiled runtime, grouping {strategy}\n{source(pipeline)}"


@settings(SMALL, max_examples=60)
@given(pipeline=pipelines(max_steps=8))
def test_random_pipelines_agree_with_plain_python_on_every_local_executor(folder: Path, pipeline: Pipeline) -> None:
    _check(folder, pipeline, LOCAL_EXECUTORS, compiled=False)


@settings(SMALL, max_examples=40)
@given(pipeline=pipelines(max_steps=8))
def test_random_pipelines_agree_with_plain_python_through_the_compiled_runtime(
    folder: Path, pipeline: Pipeline
) -> None:
    _check(folder, pipeline, {"sync": LOCAL_EXECUTORS["sync"]}, compiled=True)


@pytest.mark.property_large
@LARGE
@given(pipeline=pipelines(max_steps=16, max_depth=3, max_items=5))
def test_many_larger_random_pipelines_agree_everywhere(folder: Path, pipeline: Pipeline, request) -> None:
    request.getfixturevalue("ray_owner")  # Ray first, so that the module is registered with its pickler too
    kinds = dict(LOCAL_EXECUTORS)
    kinds["dask"] = lambda: _dask(request)
    kinds["ray"] = lambda: _ray(request)
    _check(folder, pipeline, kinds, compiled=True)


def _dask(request: pytest.FixtureRequest) -> executors.TaskExecutor:
    from hamilflow.plugins.h_dask import DaskExecutor

    return DaskExecutor(client=request.getfixturevalue("dask_client"))


def _ray(request: pytest.FixtureRequest) -> executors.TaskExecutor:
    from hamilflow.plugins.h_ray import RayTaskExecutor

    request.getfixturevalue("ray_owner")
    return RayTaskExecutor(num_cpus=2)
