"""Node time limits on Dask and Ray: a node that never returns stops the run at its limit, named.

On a real two-worker Dask ``LocalCluster`` (worker processes) and a real local Ray with two
CPUs, started once for the module (the fixtures of ``tests/test_executors.py``). The stuck node
sleeps for an hour; a run that returns within half a minute was not waiting for it. Both the
node's own ``@tag(timeout="1s")`` and the executor's ``node_timeout=`` are tried, and a run whose
nodes stay under their limits returns what it returns without one.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hamilflow.errors import SettingError
from hamilflow.execution.timeouts import NodeTimeoutError
from tests.faults import pipelines
from tests.test_executors import dask_client, dynamic_driver, ray_owner

__all__ = ["dask_client", "ray_owner"]  # module fixtures, shared with tests/test_executors.py

PROMPT = 30.0  # seconds: far below the stuck node's hour, far above a 1 s limit and a cluster's round trips


def _executor(kind: str, request: pytest.FixtureRequest, **options):
    if kind == "dask":
        from hamilflow.plugins.h_dask import DaskExecutor

        return DaskExecutor(client=request.getfixturevalue("dask_client"), **options)
    request.getfixturevalue("ray_owner")
    from hamilflow.plugins.h_ray import RayTaskExecutor

    return RayTaskExecutor(num_cpus=2, **options)  # Ray is running already: this one does not own it


@pytest.mark.parametrize("mode", ["tag", "option"])
@pytest.mark.parametrize("kind", ["dask", "ray"])
def test_a_node_that_never_returns_is_stopped_at_its_limit_and_named(
    request: pytest.FixtureRequest, tmp_path: Path, kind: str, mode: str
) -> None:
    node = "stuck" if mode == "tag" else "untagged"
    executor = _executor(kind, request, **({"node_timeout": "1s"} if mode == "option" else {}))
    dr = dynamic_driver(executor, pipelines)
    started = time.monotonic()
    with pytest.raises(NodeTimeoutError) as caught:
        dr.execute([f"{node}_total"], inputs={"n": 6, "stuck_at": 4, "marks": str(tmp_path)})
    assert time.monotonic() - started < PROMPT  # not waiting for the hour the node sleeps
    error = caught.value
    assert f"node '{node}' (tests.faults.pipelines.{node} (line" in str(error)
    assert "limit of 1 s" in str(error)
    assert (error.node, error.limit) == (node, 1.0)
    assert f"hamilflow: in task '{node}', item item[4]" in error.__notes__  # the item, not its unit's first
    assert list(tmp_path.iterdir()), "the node never started"
    if kind == "dask":
        assert "abandoned" in str(error)  # a Dask worker's thread cannot be killed
    else:
        assert "alarm" in str(error)  # Ray's worker runs the node in its main thread


@pytest.mark.parametrize("kind", ["dask", "ray"])
def test_nodes_under_their_limits_return_their_results(request: pytest.FixtureRequest, kind: str) -> None:
    """``patient`` (a 1 m tag) outranks node_timeout; ``untagged`` returns at once, under the option's limit."""
    dr = dynamic_driver(_executor(kind, request, node_timeout="10s"), pipelines)
    inputs = {"n": 5, "stuck_at": -1, "marks": ""}
    assert dr.execute(["patient_total", "untagged_total"], inputs=inputs) == {
        "patient_total": 10,
        "untagged_total": 10,
    }


@pytest.mark.parametrize("kind", ["dask", "ray"])
def test_the_tag_outranks_a_shorter_node_timeout(request: pytest.FixtureRequest, kind: str) -> None:
    """``patient`` sleeps 50 ms per item, longer than node_timeout=0.01; its own 1 m tag applies."""
    dr = dynamic_driver(_executor(kind, request, node_timeout=0.01), pipelines)
    assert dr.execute(["patient_total"], inputs={"n": 3}) == {"patient_total": 3}


@pytest.mark.parametrize("bad", [0, -1, "soon", True])
@pytest.mark.parametrize("kind", ["dask", "ray"])
def test_a_bad_node_timeout_is_refused_when_the_executor_is_made(kind: str, bad) -> None:
    if kind == "dask":
        pytest.importorskip("distributed")
        from hamilflow.plugins.h_dask import DaskExecutor

        with pytest.raises(SettingError, match=r"DaskExecutor\(node_timeout="):
            DaskExecutor(client=None, node_timeout=bad)  # refused before the client is used
    else:
        pytest.importorskip("ray")
        from hamilflow.plugins.h_ray import RayTaskExecutor

        with pytest.raises(SettingError, match=r"RayTaskExecutor\(node_timeout="):
            RayTaskExecutor(num_cpus=2, node_timeout=bad)
