"""A node that never returns: each executor stops it at its time limit and names it (issue 13).

Each run happens in a fresh Python process (the script below), so that a thread left
sleeping or a worker left behind would be seen, and a run that hangs fails the test
(``communicate`` gives up) instead of hanging the suite. The node sleeps for an hour: a run
that returns at all was not waiting for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hamilflow import driver
from hamilflow.errors import SettingError
from hamilflow.execution import executors
from hamilflow.execution.timeouts import NodeTimeoutError, format_seconds, parse_duration
from tests.faults import pipelines

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import json, os, sys, threading
    from pathlib import Path
    from hamilflow import driver
    from hamilflow.execution import executors
    from tests.faults import pipelines

    kind, mode, marks = sys.argv[1], sys.argv[2], sys.argv[3]
    limit = {"node_timeout": "1s"} if mode == "option" else {}
    executor = {
        "sync": lambda: executors.SynchronousLocalTaskExecutor(**limit),
        "threads": lambda: executors.MultiThreadingExecutor(2, **limit),
        "processes": lambda: executors.MultiProcessingExecutor(2, **limit),
    }[kind]()
    dr = (
        driver.Builder().with_modules(pipelines).enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(executor).build()
    )
    final = "stuck_total" if mode == "tag" else "untagged_total"
    outcome = {}
    try:
        outcome["result"] = dr.execute([final], inputs={"n": 6, "stuck_at": 4, "marks": marks})
    except Exception as error:
        outcome.update(error=type(error).__name__, message=str(error), notes=getattr(error, "__notes__", []))
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = stat.read_text().rsplit(")", 1)[1].split()
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            children.append(int(stat.parent.name))
    outcome["children"] = children
    outcome["threads"] = [t.name for t in threading.enumerate() if t.is_alive()]
    print(json.dumps(outcome), flush=True)
    """
)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _run(tmp_path: Path, kind: str, mode: str) -> dict:
    marks = tmp_path / "marks"
    marks.mkdir()
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(script), kind, mode, str(marks)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        out, _ = child.communicate(timeout=120)  # the node sleeps an hour: returning at all is the point
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, out
    outcome = json.loads(out.strip().splitlines()[-1])
    outcome["marked"] = [int(p.name) for p in marks.iterdir()]
    return outcome


@pytest.mark.parametrize("mode", ["tag", "option"])
@pytest.mark.parametrize("kind", ["sync", "threads", "processes"])
def test_a_node_that_never_returns_is_stopped_at_its_limit_and_named(tmp_path: Path, kind: str, mode: str) -> None:
    outcome = _run(tmp_path, kind, mode)
    node = "stuck" if mode == "tag" else "untagged"
    assert outcome.get("error") == "NodeTimeoutError", outcome
    assert f"node '{node}' (tests.faults.pipelines.{node} (line" in outcome["message"]
    assert "limit of 1 s" in outcome["message"]
    assert any("item item[4]" in note for note in outcome["notes"]), outcome["notes"]  # the item, not the unit's first
    assert outcome["marked"], "the node never started"
    if kind == "processes":
        assert "was killed" in outcome["message"]
        assert not [pid for pid in outcome["marked"] if _alive(pid)]  # the stuck worker is gone
        assert outcome["children"] == []  # and no other worker is left behind
    if kind == "threads":
        assert "abandoned" in outcome["message"]


def test_a_nodes_own_tag_outranks_the_executors_limit() -> None:
    dr = (
        driver.Builder()
        .with_modules(pipelines)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_remote_executor(executors.MultiThreadingExecutor(2, node_timeout=0.01))
        .build()
    )
    assert dr.execute(["patient_total"], inputs={"n": 3}) == {"patient_total": 3}


def test_the_timeout_error_pickles_with_its_facts() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(NodeTimeoutError("a", "m.a (line 3)", 1.5, "(killed)", 7)))
    assert (error.node, error.where, error.limit, error.batch_position) == ("a", "m.a (line 3)", 1.5, 7)
    assert isinstance(error, TimeoutError)


@pytest.mark.parametrize("bad", [0, -1, "soon", "5 minutes", True])
@pytest.mark.parametrize(
    "make",
    [executors.SynchronousLocalTaskExecutor, executors.MultiThreadingExecutor, executors.MultiProcessingExecutor],
)
def test_a_bad_node_timeout_is_refused_when_the_executor_is_made(make, bad) -> None:
    with pytest.raises(SettingError, match="node_timeout"):
        make(node_timeout=bad) if make is executors.SynchronousLocalTaskExecutor else make(2, node_timeout=bad)


def test_a_bad_timeout_tag_names_the_node(module_from_source) -> None:
    module = module_from_source(
        "from hamilflow.function_modifiers import tag\n@tag(timeout='soon')\ndef a(x: int) -> int:\n    return x\n"
    )
    dr = driver.Builder().with_modules(module).build()
    with pytest.raises(SettingError, match=r"@tag\(timeout='soon'\) on 'a' \(.*line") as caught:
        dr.execute(["a"], inputs={"x": 1})
    assert "90s" in str(caught.value)


def test_durations_keep_every_digit() -> None:
    assert parse_duration("1234567").total_seconds() == 1234567
    assert format_seconds(1234567.0) == "1234567 s" and format_seconds(0.25) == "0.25 s"


def test_an_outer_timer_due_first_fires_and_its_error_names_the_node(module_from_source) -> None:
    """As Airflow's execution_timeout does: a SIGALRM timer set around the run, due before the node's own limit.

    The outer timer is left to fire (hamilflow's alarm does not replace it), and what its handler raises
    says which node was running: Airflow's AirflowTaskTimeout names none.
    """
    import signal
    import time

    class OuterTimeout(BaseException):  # as AirflowTaskTimeout, which a node's `except Exception` cannot catch
        pass

    def expire(signum, frame):
        raise OuterTimeout("the task's time is up")

    module = module_from_source(
        "import time\nfrom hamilflow.function_modifiers import tag\n"
        "@tag(timeout='1m')\ndef slow(x: int) -> int:\n    time.sleep(60)\n    return x\n"
    )
    dr = driver.Builder().with_modules(module).build()
    previous = signal.signal(signal.SIGALRM, expire)
    started = time.monotonic()
    try:
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        with pytest.raises(OuterTimeout) as caught:
            dr.execute(["slow"], inputs={"x": 1})
        assert signal.getsignal(signal.SIGALRM) is expire  # the outer handler is put back when the node ends
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 30  # the outer timer stopped the node, not its end
    (note,) = caught.value.__notes__
    assert note.startswith("hamilflow: node 'slow' (") and "own limit of 60 s" in note
