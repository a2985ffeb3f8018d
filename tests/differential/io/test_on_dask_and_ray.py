"""Representative I/O pipelines and lifecycle adapters on Dask and Ray, every node a task there.

Kept few and in one module: a Dask cluster and a Ray instance start once for all of them
(the module-scoped fixtures of ``tests/test_executors.py``; Ray's start costs seconds). The
cases are the ones where the most crosses to the workers: loaders and savers writing files from
workers, savers inside a block, a custom registered adapter, node and task hooks writing
their calls from workers, and GracefulErrorAdapter catching item failures there.
"""

from __future__ import annotations

import pytest
from hamilton.lifecycle import default

from tests.differential.adapters import harness as adapters_harness
from tests.differential.adapters import recorders
from tests.differential.io import harness
from tests.test_executors import dask_client, ray_owner  # noqa: F401 - module-scoped clusters, started once

pytestmark = pytest.mark.slow

# to.* materializers, our own registered loader and saver, @load_from into a block, @save_to after one,
# @datasaver inside one
IO_CASES = [
    "to_several_formats",
    "custom_loader_and_saver",
    "loader_feeds_block",
    "save_to_after_block",
    "datasaver_inside_block",
]
CLUSTERS = ["dask", "ray"]


@pytest.fixture(params=CLUSTERS)
def cluster(request):
    """A task executor on the module's Dask cluster or Ray instance."""
    if request.param == "dask":
        from hamilflow.plugins.h_dask import DaskExecutor

        return DaskExecutor(client=request.getfixturevalue("dask_client"))
    request.getfixturevalue("ray_owner")
    from hamilflow.plugins.h_ray import RayTaskExecutor

    return RayTaskExecutor(num_cpus=2)  # Ray is running already: this one does not own it


@pytest.mark.parametrize("name", IO_CASES)
def test_io_pipeline_reads_and_writes_as_hamilton(name: str, cluster, tmp_path) -> None:
    expected = harness.on_hamilton(name, tmp_path / "hamilton")

    actual = harness.on_hamilflow(name, tmp_path / "hamilflow", cluster, everywhere=True)

    harness.assert_same_outcome(expected, actual, name, crossed_processes=True)


def test_node_hooks_write_the_calls_hamilton_makes_from_the_workers(cluster, tmp_path) -> None:
    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "hamilflow.jsonl"
    name = "parallel_mutate_in_block"
    expected = adapters_harness.corpus_run("hamilton", name, [recorders.NodeRecorder(theirs)])
    actual = adapters_harness.corpus_run("everywhere", name, [recorders.NodeRecorder(ours)], executor=cluster)

    adapters_harness.assert_same_outcome(expected, actual)
    calls = recorders.per_node(recorders.read(ours, "node"))
    assert calls == recorders.per_node(recorders.read(theirs, "node")) and len(calls) >= 8


def test_graceful_error_adapter_catches_item_failures_in_the_workers(cluster) -> None:
    from tests.differential.adapters import failing_items as module

    def run(back_end):
        adapter = default.GracefulErrorAdapter(error_to_catch=module.BadItem, sentinel_value=None)
        made = adapters_harness.builder(back_end, module, [adapter], executor=cluster)
        return adapters_harness.outcome(lambda: made.build().execute(["gathered"], inputs={"n": 7}))

    assert (
        run("everywhere")
        == run("hamilton")
        == ("result", {"gathered": [1 / 5 * 6, 1 / 4 * 6, 1 / 2 * 6, 6.0] + [None] * 3})
    )


def test_task_hooks_see_the_tasks_hamilton_runs(cluster, tmp_path) -> None:
    """Every node its own task on the cluster; compared as in tests/differential/adapters/test_task_hooks.py."""
    from tests.differential.adapters.test_task_hooks import TaskRecorder, tasks_summary

    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "hamilflow.jsonl"
    name = "plain_map_reduce"
    expected = adapters_harness.corpus_run("hamilton", name, [TaskRecorder(theirs)], dynamic=True)
    actual = adapters_harness.corpus_run("everywhere", name, [TaskRecorder(ours)], executor=cluster)

    adapters_harness.assert_same_outcome(expected, actual)
    summary, reference = tasks_summary(ours, {"numbers"}), tasks_summary(theirs, {"numbers"})
    assert summary == reference and summary["order"] == [("submit", "before", "after", "return")]
