"""Ctrl-C stops a run promptly and leaves no worker process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, sys, time, types
    from hamilflow import driver
    from hamilflow.execution import executors

    marks = sys.argv[1]
    m = types.ModuleType("never_ending")
    exec('''
    import os, time
    from hamilflow.htypes import Collect, Parallelizable
    def item(n: int) -> Parallelizable[int]:
        yield from range(n)
    def slow(item: int, marks: str) -> int:
        open(os.path.join(marks, str(os.getpid())), "w").close()  # this worker has started a node
        time.sleep(600)
        return item
    def total(slow: Collect[int]) -> int:
        return sum(slow)
    ''', m.__dict__)
    sys.modules["never_ending"] = m
    for value in vars(m).values():
        if callable(value) and getattr(value, "__module__", None) == "builtins":
            pass
    executor = executors.{executor}
    dr = (
        driver.Builder().with_modules(m).enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(executor).build()
    )
    try:
        dr.execute(["total"], inputs={{"n": 4, "marks": marks}})
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        sys.exit(3)
    """
)


# Ctrl-C pressed while a worker is being forked: the parent's first at-fork callback (after the
# fork, in the parent) signals the process itself, so the interrupt lands inside the interpreter's
# fork callbacks, where Python drops any exception it raises.
PRESSED_DURING_FORK = """
import os, signal
def _press_once():
    if not getattr(_press_once, "done", False):
        _press_once.done = True
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # run some bytecode: Python raises the interrupt at the next check
            pass
os.register_at_fork(after_in_parent=_press_once)
"""


def _start(script: Path, marks: Path) -> subprocess.Popen:
    """The script in a process group of its own, so a failed test can stop it with every worker it forked."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(script), str(marks)], stdout=subprocess.PIPE, text=True, env=env, start_new_session=True
    )


def _kill_group(child: subprocess.Popen) -> None:
    if child.poll() is None:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("executor", ["MultiProcessingExecutor", "MultiThreadingExecutor"])
def test_ctrl_c_stops_the_run_and_kills_the_workers(tmp_path, executor) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "run.py"
    script.write_text(SCRIPT.replace("{executor}", f"{executor}(2)").replace("{{", "{").replace("}}", "}"))
    child = _start(script, marks)
    try:
        deadline = time.monotonic() + 60
        while not any(marks.iterdir()) and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.1)
        assert any(marks.iterdir()), "no node started"
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=60)  # the nodes sleep 600 s: returning at all means they were not awaited
    finally:
        _kill_group(child)
    assert child.returncode == 3 and "interrupted" in out
    if executor == "MultiProcessingExecutor":
        workers = [int(p.name) for p in marks.iterdir()]
        assert workers and not [pid for pid in workers if _alive(pid)]  # no orphan left sleeping


def test_ctrl_c_during_a_workers_fork_is_not_lost(tmp_path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "run.py"
    body = SCRIPT.replace("{executor}", 'MultiProcessingExecutor(2, start_method="fork")')
    script.write_text(PRESSED_DURING_FORK + body.replace("{{", "{").replace("}}", "}"))
    child = _start(script, marks)
    try:
        out, _ = child.communicate(timeout=120)  # the nodes sleep 600 s: a lost interrupt leaves the run waiting
    finally:
        _kill_group(child)
    assert child.returncode == 3 and "interrupted" in out
    workers = [int(p.name) for p in marks.iterdir()]
    assert not [pid for pid in workers if _alive(pid)]  # whatever worker started a node was stopped
