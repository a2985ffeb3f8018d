"""The Builder: every step of the seed's Builder API, and the seed's example as written."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest

from hamilflow import base, driver
from hamilflow.errors import HamilflowError
from hamilflow.execution import executors, grouping
from tests.resources.dynamic import expanders, foo_module, map_reduce


def test_the_seeds_example_runs_as_written() -> None:
    # the seed's code, with `hamilton` replaced by `hamilflow` and the `...` filled in
    from hamilflow import driver
    from hamilflow.execution import executors

    dr = (
        driver.Builder()
        .with_modules(foo_module)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_config({"config_key": "config_value"})
        .with_local_executor(executors.SynchronousLocalTaskExecutor())
        .with_remote_executor(executors.MultiProcessingExecutor(max_tasks=5))
        .build()
    )

    result = dr.execute(["my_variable"], inputs={"x": 1, "n_pieces": 3}, overrides={"base_number": 10})
    assert result == {"my_variable": "config_value:10,config_value:11,config_value:12"}
    assert dr.execute(["my_variable"], inputs={"x": 1, "n_pieces": 2}) == {
        "my_variable": "config_value:2,config_value:3"
    }


def test_without_dynamic_execution_it_builds_the_standard_driver() -> None:
    dr = driver.Builder().with_modules(foo_module).with_config({"config_key": "k"}).build()
    assert type(dr) is driver.Driver
    assert dr.execution_manager is None
    # as Hamilton's Builder does, a dict unless a result builder is given (the Driver's own default is a DataFrame)
    assert isinstance(dr.adapter.result_builder, base.DictResult)
    result = dr.execute(["my_variable"], inputs={"x": 0, "n_pieces": 2})  # blocks still run, synchronously
    assert result == {"my_variable": "k:0,k:1"}
    frame = driver.Builder().with_modules(foo_module).with_config({"config_key": "k"})
    frame = frame.with_adapters(base.PandasDataFrameResult()).build()
    assert isinstance(frame.execute(["my_variable"], inputs={"x": 0, "n_pieces": 2}), pd.DataFrame)


def test_executor_steps_need_dynamic_execution_first() -> None:
    for step, argument in [
        ("with_local_executor", executors.SynchronousLocalTaskExecutor()),
        ("with_remote_executor", executors.MultiThreadingExecutor(2)),
        ("with_execution_manager", executors.DefaultExecutionManager()),
        ("with_grouping_strategy", grouping.GroupNodesIndividually()),
    ]:
        with pytest.raises(HamilflowError, match=re.escape(f"{step} needs enable_dynamic_execution() first")):
            getattr(driver.Builder(), step)(argument)


def test_dynamic_execution_defaults() -> None:
    dr = driver.Builder().with_modules(map_reduce).enable_dynamic_execution(allow_experimental_mode=True).build()
    manager = dr.execution_manager
    assert isinstance(manager, executors.DefaultExecutionManager)
    assert isinstance(manager.local_executor, executors.SynchronousLocalTaskExecutor)
    assert isinstance(manager.remote_executor, executors.MultiThreadingExecutor)
    assert dr.execute(["total_words"]) == {"total_words": 78}  # a dict by default, as in Hamilton's Builder


def test_with_modules_and_with_config_accumulate() -> None:
    dr = (
        driver.Builder()
        .with_modules(map_reduce)
        .with_modules(foo_module)
        .with_config({"config_key": "a"})
        .with_config({"source": "list"})
        .enable_dynamic_execution(allow_experimental_mode=True)
        .build()
    )
    assert dr.config == {"config_key": "a", "source": "list"}
    assert {"total_words", "my_variable"} <= set(dr.graph.nodes)


def test_with_config_chooses_config_when_variants() -> None:
    builder = driver.Builder().with_modules(expanders).enable_dynamic_execution(allow_experimental_mode=True)
    dr = builder.with_config({"source": "range"}).build()
    assert dr.graph.nodes["item"].function_name == "item__range"


def test_with_execution_manager_and_grouping_strategy() -> None:
    manager = executors.DefaultExecutionManager(
        executors.SynchronousLocalTaskExecutor(), executors.MultiThreadingExecutor(max_tasks=3)
    )
    strategy = grouping.GroupNodesIndividually()
    dr = (
        driver.Builder()
        .with_modules(map_reduce)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_execution_manager(manager)
        .with_grouping_strategy(strategy)
        .build()
    )
    assert dr.execution_manager is manager and dr.grouping_strategy is strategy
    assert dr.execute(["total_words"]) == {"total_words": 78}


def test_an_execution_manager_and_executors_cannot_both_be_set() -> None:
    builder = driver.Builder().enable_dynamic_execution(allow_experimental_mode=True)
    builder.with_remote_executor(executors.MultiThreadingExecutor(2))
    with pytest.raises(HamilflowError, match="either an execution manager or local/remote executors"):
        builder.with_execution_manager(executors.DefaultExecutionManager())
    builder = driver.Builder().enable_dynamic_execution(allow_experimental_mode=True)
    builder.with_execution_manager(executors.DefaultExecutionManager())
    builder.with_local_executor(executors.SynchronousLocalTaskExecutor())
    with pytest.raises(HamilflowError, match="either an execution manager or local/remote executors"):
        builder.build()


class RecordingAdapter(base.SimplePythonGraphAdapter):
    """A graph adapter that sees every node the runner executes."""

    def __init__(self, result_builder: base.ResultMixin | None = None) -> None:
        super().__init__(result_builder or base.DictResult())
        self.seen: list[str] = []

    def execute_node(self, node: Any, kwargs: dict[str, Any]) -> Any:
        self.seen.append(node.name)
        return node.callable(**kwargs)


def test_with_adapter_runs_every_node_through_the_adapter() -> None:
    adapter = RecordingAdapter()
    dr = (
        driver.Builder()
        .with_modules(map_reduce)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_adapter(adapter)
        .with_remote_executor(executors.MultiThreadingExecutor(max_tasks=2))
        .build()
    )
    assert dr.adapter is adapter
    assert dr.execute(["total_words"]) == {"total_words": 78}
    assert sorted(adapter.seen) == sorted(["url", "total_words"] + ["url_loaded", "counts"] * len(map_reduce.URLS))


def test_with_adapters_takes_an_adapter_and_a_result_builder() -> None:
    dr = driver.Builder().with_modules(map_reduce).with_adapters(base.DictResult()).build()
    assert dr.execute(["total_words"]) == {"total_words": 78}  # a dict, not the default DataFrame

    adapter = RecordingAdapter()
    dr = (
        driver.Builder()
        .with_modules(map_reduce)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_adapters(adapter, base.PandasDataFrameResult())
        .build()
    )
    frame = dr.execute(["total_words"])
    assert isinstance(frame, pd.DataFrame) and frame["total_words"].tolist() == [78]
    assert "counts" in adapter.seen

    with pytest.raises(HamilflowError, match="only one graph adapter"):
        driver.Builder().with_adapters(RecordingAdapter(), RecordingAdapter())
    with pytest.raises(HamilflowError, match="neither a graph adapter nor a result builder"):
        driver.Builder().with_adapters(object())


def test_the_progress_bar_reports_task_instances_done(capsys: pytest.CaptureFixture[str]) -> None:
    dr = (
        driver.Builder()
        .with_modules(map_reduce)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(executors.MultiThreadingExecutor(max_tasks=2))
        .with_progress_bar()
        .build()
    )
    assert dr.execute(["total_words"]) == {"total_words": 78}
    err = capsys.readouterr().err
    instances = 1 + len(map_reduce.URLS) + 1  # url, one block task per page, total_words
    assert "hamilflow" in err
    assert f"{instances}/{instances}" in err, err
