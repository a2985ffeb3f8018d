"""Dynamic execution on every executor, against plain-Python references.

Each behaviour runs on the five task executors, each as the *remote* executor of a
Builder-made driver: synchronous, threads, processes, Dask (a real two-worker
``LocalCluster``) and Ray (a real local Ray with two CPUs). Pipelines live in
``tests/resources/dynamic`` so that worker processes can import them; calls are counted
through a log file, which every kind of worker can append to.

Dask and Ray start once per module (they are the expensive part); the other executors
are created per test.
"""

from __future__ import annotations

import textwrap
import types
from pathlib import Path
from typing import Any

import pytest

from hamilflow import driver
from hamilflow.execution import executors
from tests.resources.dynamic import calls, expanders, failing, map_reduce, multi_collect, nested, ordered

EXECUTORS = ["synchronous", "threads", "processes", "dask", "ray"]
PARALLEL = {"threads", "processes", "dask", "ray"}


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="Dask executor tests need dask[distributed]")
    cluster = distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0", silence_logs=50
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def ray_owner():
    """A RayTaskExecutor that starts Ray itself; Ray stops when it finalizes, at module end."""
    ray = pytest.importorskip("ray", reason="Ray executor tests need ray (pip install 'hamilflow[ray]')")
    from hamilflow.plugins.h_ray import RayTaskExecutor

    if ray.is_initialized():  # pragma: no cover - another module left Ray running
        ray.shutdown()
    owner = RayTaskExecutor(num_cpus=2, ray_init_config={"include_dashboard": False, "log_to_driver": False})
    owner.init()
    yield owner
    owner.finalize()
    assert not ray.is_initialized(), "the executor that started Ray must shut it down"


def make_executor(kind: str, request: pytest.FixtureRequest) -> executors.TaskExecutor:
    if kind == "synchronous":
        return executors.SynchronousLocalTaskExecutor()
    if kind == "threads":
        return executors.MultiThreadingExecutor(max_tasks=2)
    if kind == "processes":
        return executors.MultiProcessingExecutor(max_tasks=2)
    if kind == "processes-spawn":
        return executors.MultiProcessingExecutor(max_tasks=2, start_method="spawn")
    if kind == "dask":
        from hamilflow.plugins.h_dask import DaskExecutor

        return DaskExecutor(client=request.getfixturevalue("dask_client"))
    if kind == "ray":
        request.getfixturevalue("ray_owner")
        from hamilflow.plugins.h_ray import RayTaskExecutor

        return RayTaskExecutor(num_cpus=2)  # Ray is running already, so this one will not own it
    raise ValueError(kind)


@pytest.fixture(params=EXECUTORS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def executor(kind: str, request: pytest.FixtureRequest) -> executors.TaskExecutor:
    return make_executor(kind, request)


@pytest.fixture
def log_path(tmp_path: Path) -> str:
    return str(tmp_path / "calls.log")


def dynamic_driver(executor: executors.TaskExecutor, *modules: types.ModuleType, config: dict | None = None):
    return (
        driver.Builder()
        .with_modules(*modules)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_config(config or {})
        .with_remote_executor(executor)
        .build()
    )


# ---------------------------------------------------------------------------- map-reduce
def test_seed_map_reduce(executor: executors.TaskExecutor) -> None:
    expected = sum(len(map_reduce._load(u).split(" ")) for u in map_reduce._list_all_urls())
    assert dynamic_driver(executor, map_reduce).execute(["total_words"]) == {"total_words": expected}


@pytest.mark.parametrize("source", ["generator", "list", "range", "dict_keys"])
def test_expander_returns_any_iterable_and_upstream_runs_once(
    executor: executors.TaskExecutor, source: str, log_path: str
) -> None:
    dr = dynamic_driver(executor, expanders, config={"source": source})
    inputs = {"offset": 2, "n_items": 9, "delay": 0.0, "log_path": log_path}
    result = dr.execute(["collected", "how_many"], inputs=inputs)
    assert result == {"collected": [f"item-{2000 + i}" for i in range(9)], "how_many": 9}
    # the node upstream of the block and the expander run once per run; the block once per item
    assert calls.counts(log_path) == {"setting": 1, "item": 1, "processed": 9}


def test_zero_items_give_collectors_an_empty_list(executor: executors.TaskExecutor, log_path: str) -> None:
    dr = dynamic_driver(executor, expanders, config={"source": "generator"})
    result = dr.execute(
        ["collected", "how_many"], inputs={"offset": 0, "n_items": 0, "delay": 0.0, "log_path": log_path}
    )
    assert result == {"collected": [], "how_many": 0}
    assert calls.counts(log_path) == {"setting": 1, "item": 1}


def test_item_order_is_kept_whatever_order_items_finish_in(
    kind: str, executor: executors.TaskExecutor, log_path: str
) -> None:
    inputs = {"n_items": 12, "slow_item": 0, "slow_seconds": 0.4, "log_path": log_path}
    result = dynamic_driver(executor, ordered).execute(["in_order"], inputs=inputs)
    assert result == {"in_order": [10 * i for i in range(12)]}
    finished = [int(line.split()[1]) for line in calls.lines(log_path)]
    assert sorted(finished) == list(range(12))
    if kind in PARALLEL:  # item 0 sleeps while the other worker finishes the rest
        assert finished != sorted(finished), f"{kind} finished items in item order; the test proves nothing"
    else:
        assert finished == sorted(finished)


# ---------------------------------------------------------------------------- block shapes
def _grid(n_rows: int, n_cols: int) -> tuple[list[list[str]], list[str]]:
    rows = [[f"r{r}c{c}" for c in range(n_cols)] for r in range(n_rows)]
    return rows, [f"r{r}:{len(cells)}" for r, cells in enumerate(rows)]


def _cube(n_planes: int, n_lines: int, n_points: int) -> list[list[list[int]]]:
    return [
        [[p * 100 + ln * 10 + k for k in range(n_points)] for ln in range(max(0, n_lines - p))] for p in range(n_planes)
    ]


@pytest.mark.parametrize(
    "shape",
    [
        dict(n_rows=3, n_cols=4, n_planes=3, n_lines=2, n_points=3),  # plane 2 has no lines
        dict(n_rows=2, n_cols=0, n_planes=1, n_lines=1, n_points=0),  # empty inner blocks
        dict(n_rows=0, n_cols=3, n_planes=0, n_lines=2, n_points=2),  # empty outer blocks
    ],
    ids=["full", "empty-inner", "empty-outer"],
)
def test_nested_blocks_depth_two_and_three(executor: executors.TaskExecutor, shape: dict[str, int]) -> None:
    dr = dynamic_driver(executor, nested)
    result = dr.execute(["grid", "grand_total", "cube"], inputs={**shape, "delay": 0.001})
    grid, totals = _grid(shape["n_rows"], shape["n_cols"])
    assert result == {
        "grid": grid,
        "grand_total": totals,
        "cube": _cube(shape["n_planes"], shape["n_lines"], shape["n_points"]),
    }


def test_several_collects_nodes_after_collectors_and_a_second_block(executor: executors.TaskExecutor) -> None:
    words = ["ab", "c", "def", ""]
    n_a = 6
    result = dynamic_driver(executor, multi_collect).execute(
        ["pairs", "mixed", "a_items", "summary", "second_total"], inputs={"n_a": n_a, "words": words, "delay": 0.001}
    )
    squares = [a * a for a in range(n_a)]
    pairs = [(a * a, a**3) for a in range(n_a)]
    mixed = {"a_sq": squares, "b_up": [w.upper() for w in words]}
    assert result == {
        "pairs": pairs,  # two Collect[] from one block
        "mixed": mixed,  # Collect[] from two blocks
        "a_items": list(range(n_a)),  # the expander's items themselves
        "summary": f"{sum(squares)}/{len(words)}/{n_a}",  # after two collectors
        "second_total": sum(cube - sq for sq, cube in pairs),  # a second block over the first's result
    }


# ---------------------------------------------------------------------------- failure
def test_a_failing_item_stops_the_run_promptly_with_the_users_error(
    executor: executors.TaskExecutor, log_path: str
) -> None:
    n_items = 1000
    inputs = {"n_items": n_items, "fail_at": 3, "delay": 0.005, "log_path": log_path}
    with pytest.raises(failing.ItemFailed, match="item 3 is broken") as caught:
        dynamic_driver(executor, failing).execute(["total"], inputs=inputs)
    seen = calls.counts(log_path)  # read right away: Dask lets a running unit finish after the run ends
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert "node 'work'" in notes and "tests.resources.dynamic.failing" in notes
    assert "item item[3]" in notes
    # items run in units of at most n/(4 * workers); only the units already running may finish
    assert seen["started"] <= n_items // 4, seen
    assert seen["finished"] < seen["started"]


# ---------------------------------------------------------------------------- cloudpickle
RUNTIME_SOURCE = textwrap.dedent(
    """
    from typing import Any

    from hamilflow.htypes import Collect, Parallelizable


    def boxes(n: int, make_box: Any) -> Parallelizable[Any]:
        for i in range(n):
            yield make_box(i)


    def described(scaled: int, boxes: Any) -> str:
        return f"{boxes.name}={scaled}"


    def report(described: Collect[str], scaled: Collect[int]) -> str:
        return ",".join(described) + f"|{sum(scaled)}"
    """
)


@pytest.mark.parametrize("kind", ["processes", "processes-spawn", "dask", "ray"])
def test_code_defined_at_runtime_crosses_process_boundaries(kind: str, request: pytest.FixtureRequest) -> None:
    factor = 3

    class Box:  # a locally defined class, shipped as item values
        def __init__(self, value: int) -> None:
            self.value = value

        @property
        def name(self) -> str:
            return f"box{self.value}"

    module = types.ModuleType("runtime_pipeline")  # built with exec, never importable by workers
    exec(RUNTIME_SOURCE, module.__dict__)
    scaled: Any = lambda boxes, offset: boxes.value * factor + offset  # noqa: E731 - a lambda node, closing over factor
    scaled.__name__ = scaled.__qualname__ = "scaled"
    scaled.__module__ = module.__name__
    scaled.__annotations__ = {"boxes": Any, "offset": int, "return": int}
    module.scaled = scaled

    dr = dynamic_driver(make_executor(kind, request), module)
    result = dr.execute(["report"], inputs={"n": 4, "make_box": lambda i: Box(i), "offset": 1})
    expected = [i * factor + 1 for i in range(4)]
    assert result == {"report": ",".join(f"box{i}={v}" for i, v in enumerate(expected)) + f"|{sum(expected)}"}


# ---------------------------------------------------------------------------- Dask and Ray themselves
def test_dask_executor_sizes_batches_to_the_cluster(request: pytest.FixtureRequest) -> None:
    executor = make_executor("dask", request)
    executor.init()
    assert executor.parallelism == 2  # two workers of one thread each
    assert executor.submit(pow, 2, 10).result() == 1024


def test_ray_executor_leaves_a_ray_it_did_not_start_running(request: pytest.FixtureRequest) -> None:
    import ray

    owner = request.getfixturevalue("ray_owner")
    guest = make_executor("ray", request)
    assert owner._started and ray.cluster_resources()["CPU"] == 2  # init() used num_cpus
    dynamic_driver(guest, map_reduce).execute(["total_words"])
    assert ray.is_initialized() and not guest._started
    assert guest.parallelism == 2
    future = guest.submit(pow, 2, 10)
    assert future.result() == 1024 and not future.cancel()  # a finished task cannot be cancelled


def test_an_exception_pickle_cannot_recreate_still_arrives_as_itself(executor: executors.TaskExecutor) -> None:
    """``ItemRefused.__init__`` takes two arguments, so unpickling it from its message alone would fail."""
    with pytest.raises(failing.ItemRefused, match="item 2 refused: too picky") as caught:
        dynamic_driver(executor, failing).execute(["picky_total"], inputs={"n_items": 5, "fail_at": 2})
    assert caught.value.item == 2
    assert any("node 'picky_work'" in note for note in caught.value.__notes__)
    assert any("item item[2]" in note for note in caught.value.__notes__)


@pytest.mark.parametrize("make", [executors.MultiThreadingExecutor, executors.MultiProcessingExecutor])
def test_an_executor_of_one_runs_every_unit_of_a_block(make) -> None:
    """One unit in flight at a time: the others wait their turn, and all of them run (the run once ended early)."""
    expected = sum(len(map_reduce._load(u).split(" ")) for u in map_reduce._list_all_urls())
    assert dynamic_driver(make(max_tasks=1), map_reduce).execute(["total_words"]) == {"total_words": expected}


def test_ray_workers_stop_a_node_at_its_timeout_tag(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """Ray runs a node in its worker's main thread, where the alarm of @tag(timeout=...) interrupts it."""
    from hamilflow.execution.timeouts import NodeTimeoutError
    from tests.faults import pipelines

    inputs = {"n": 6, "stuck_at": 4, "marks": str(tmp_path)}
    with pytest.raises(NodeTimeoutError, match=r"node 'stuck' \(tests.faults.pipelines.stuck \(line") as caught:
        dynamic_driver(make_executor("ray", request), pipelines).execute(["stuck_total"], inputs=inputs)
    assert "hamilflow: in task 'stuck', item item[4]" in caught.value.__notes__
