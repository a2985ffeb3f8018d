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
    executor = executors.{executor}(2)
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
    script.write_text(SCRIPT.replace("{executor}", executor).replace("{{", "{").replace("}}", "}"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, str(script), str(marks)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not any(marks.iterdir()) and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.1)
        assert any(marks.iterdir()), "no node started"
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=60)  # the nodes sleep 600 s: returning at all means they were not awaited
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 3 and "interrupted" in out
    if executor == "MultiProcessingExecutor":
        workers = [int(p.name) for p in marks.iterdir()]
        assert workers and not [pid for pid in workers if _alive(pid)]  # no orphan left sleeping
