"""Worker processes that die, exit or cannot send their answer: the error names the item (issue 13).

Each cause is real: ``os._exit``, a SIGKILL the worker sends itself, a segfault through
ctypes, ``sys.exit`` in a node, a result that cannot be pickled, and an item that cannot be
pickled to reach a worker. The failing item is item 777 of 1,000, which runs in the middle of
a unit of 125 items: the error must name item 777, not the unit's first. Afterwards no worker
is left running. Also: a pool starts no more workers than there is work for.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hamilflow import driver
from hamilflow.execution import executors
from tests.faults import pipelines

N_ITEMS, DOOMED = 1000, 777


def _driver(executor: executors.TaskExecutor):
    return (
        driver.Builder()
        .with_modules(pipelines)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(executor)
        .build()
    )


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children() -> list[int]:
    """This process's children that are alive now, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


CAUSES = {
    "os_exit": (executors.WorkerDiedError, "exited with code 7 while it ran node 'fate'"),
    "sigkill": (executors.WorkerDiedError, "was killed by SIGKILL"),
    "segfault": (executors.WorkerDiedError, "was killed by SIGSEGV (a crash in native code) while it ran node 'fate'"),
    "sys_exit": (executors.WorkerDiedError, "node 'fate' (tests.faults.pipelines.fate (line"),
    "unpicklable": (executors.WorkerError, "the value of node 'fate' (lock) cannot be pickled to send it back"),
}


@pytest.mark.parametrize("how", list(CAUSES))
def test_a_worker_that_dies_names_the_item_it_was_running(tmp_path: Path, how: str) -> None:
    error_type, message = CAUSES[how]
    before = set(_children())
    executor = executors.MultiProcessingExecutor(2, start_method="fork")
    inputs = {"n": N_ITEMS, "doom_at": DOOMED, "how": how, "marks": str(tmp_path)}
    with pytest.raises(error_type) as caught:
        _driver(executor).execute(["fates"], inputs=inputs)
    assert message in str(caught.value)
    notes = getattr(caught.value, "__notes__", [])
    assert f"hamilflow: in task 'fate', item item[{DOOMED}]" in notes, notes  # not item[750], the unit's first
    workers = [int(p.name) for p in tmp_path.iterdir()]
    assert workers and not [pid for pid in workers if _alive(pid)]
    assert not set(_children()) - before  # nothing left behind
    if how == "sys_exit":
        assert "sys.exit(4)" in str(caught.value)


def test_an_item_that_cannot_reach_a_worker_is_named() -> None:
    executor = executors.MultiProcessingExecutor(2, start_method="fork")
    with pytest.raises(executors.WorkerError, match=r"\(lock\) cannot be pickled to send it to a worker") as caught:
        _driver(executor).execute(["carried_all"], inputs={"n": 40, "doom_at": 23})
    assert "hamilflow: in task 'carried', item lock_items[23]" in caught.value.__notes__


@pytest.mark.parametrize("start_method", ["fork", "forkserver"])
def test_a_large_pool_starts_no_more_workers_than_there_is_work_for(tmp_path: Path, start_method: str) -> None:
    executor = executors.MultiProcessingExecutor(max_tasks=120, start_method=start_method)
    assert _driver(executor).execute(["where_total"], inputs={"n": 3, "marks": str(tmp_path)}) == {"where_total": 3}
    marks = [p.name.split("-") for p in tmp_path.iterdir()]
    workers = {int(pid) for pid, _ in marks}
    assert 1 <= len(workers) <= 3
    if start_method == "fork":  # the workers are this process's children: at most 3 of them at any time
        alive_at_once = max(int(children) for _, children in marks)
        assert alive_at_once <= 3 + len(_children()), marks


def test_a_pool_of_one_runs_every_unit(tmp_path: Path) -> None:
    executor = executors.MultiProcessingExecutor(1)
    inputs = {"n": 6, "marks": str(tmp_path)}
    assert _driver(executor).execute(["where_total"], inputs=inputs) == {"where_total": 15}
    assert len({mark.name.split("-")[0] for mark in tmp_path.iterdir()}) == 1  # one worker ran all six


# A process that has parsed a DAG file through Airflow's DagBag keeps Airflow's Python SIGSEGV handler (it is never
# removed); its forked workers inherit it. The crash must still end the worker and name the item.
AFTER_A_DAG_PARSE = """
import signal, sys
signal.signal(signal.SIGSEGV, lambda signum, frame: None)  # what Airflow's DAG import leaves installed
from hamilflow import driver
from hamilflow.execution import executors
from tests.faults import pipelines
dr = (
    driver.Builder().with_modules(pipelines).enable_dynamic_execution(allow_experimental_mode=True)
    .with_remote_executor(executors.MultiProcessingExecutor(2, start_method="fork")).build()
)
try:
    dr.execute(["fates"], inputs={"n": 8, "doom_at": 5, "how": "segfault", "marks": ""})
except executors.WorkerDiedError as error:
    print(error, getattr(error, "__notes__", []))
"""


def test_a_worker_that_inherited_a_python_crash_handler_still_dies_of_its_crash(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(AFTER_A_DAG_PARSE)
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(root)},
        start_new_session=True,  # a failure kills the group: a spinning worker with it
    )
    try:
        out, _ = child.communicate(timeout=120)  # without the fix the worker spins on its fault and nothing returns
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
    assert "was killed by SIGSEGV" in out and "item[5]" in out, out
