"""A real scheduler (issue 11): a map-reduce of trivial items, trigger to success, on ``airflow standalone``.

Three ways to run the same work, side by side in one run:

* the DAG hamilflow compiles (default options: items packed automatically from what the
  deployment runs at once);
* a hand-written TaskFlow DAG that passes the items through XCom and maps one task instance
  per item (``squared.expand(item=item())``), as Airflow's documentation writes it;
* the local Driver, in this process.

The server is the one the scheduler tests start (``tests/scheduler/conftest.py``): SQLite,
LocalExecutor, ``parallelism`` 4, on a free port. Each run is triggered through the REST API
and timed from the trigger to the moment the API reports it finished (polled every 0.5 s);
the run's own ``end_date - queued_at`` is printed beside it. The hand-written DAG cannot map
more than ``max_map_length`` (1,024) items: at 10,000 it is triggered and its failure recorded.

Run: ``python bench/bench_scheduler.py [--sizes 100,1000,10000] [--skip-hand 10000]``
(needs ``hamilflow[airflow]``; several minutes: the hand-written DAG takes about 8 at 1,000).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PIPELINE = '''\
"""A map-reduce of trivial items: the cost measured is the orchestration's."""

from hamilflow.htypes import Collect, Parallelizable


def item(n: int = 100) -> Parallelizable[int]:
    return list(range(n))


def squared(item: int) -> int:
    return item * item


def total(squared: Collect[int]) -> int:
    return sum(squared)
'''

HAND = '''\
"""The same map-reduce written by hand with TaskFlow: items through XCom, one mapped instance per item."""

import datetime

from airflow.sdk import Param, dag, task


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"n": Param(100, type="integer")},
)
def hand_mapreduce():
    @task
    def item(params=None):
        return list(range(params["n"]))

    @task
    def squared(item):
        return item * item

    @task(trigger_rule="none_failed")
    def total(squared):
        return sum(squared)

    total(squared.expand(item=item()))


hand_mapreduce_dag = hand_mapreduce()
'''


def _parse(text: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def timed_run(server, dag_id: str, n: int, timeout: float) -> dict:
    started = time.perf_counter()
    run_id = server.trigger(dag_id, conf={"n": n})
    while True:
        run = server.run(dag_id, run_id)
        if run["state"] in ("success", "failed"):
            break
        if time.perf_counter() - started > timeout:
            return {"state": "timeout", "wall": time.perf_counter() - started, "run_id": run_id}
        time.sleep(0.5)
    wall = time.perf_counter() - started
    queued, ended = _parse(run.get("queued_at")), _parse(run.get("end_date"))
    from urllib.parse import quote

    found = server.api("GET", f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances", params={"limit": 1})
    return {
        "state": run["state"],
        "wall": wall,
        "airflow": (ended - queued).total_seconds() if queued and ended else None,
        "instances": found["total_entries"],  # a page holds at most 100
        "run_id": run_id,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--hand-timeout", type=float, default=1200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from tests.scheduler.conftest import AirflowServer

    root = Path(tempfile.mkdtemp(prefix="hamilflow-bench-scheduler-"))
    modules = root / "pipelines"
    modules.mkdir()
    (modules / "bench_mapreduce.py").write_text(PIPELINE)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(modules), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(modules))
    importlib.invalidate_caches()
    from hamilflow import driver
    from hamilflow.compiler import CompileOptions, compile_pipeline

    server = AirflowServer(root / "server")
    server.dags.mkdir(parents=True)
    compile_pipeline(
        CompileOptions(
            modules=["bench_mapreduce"],
            dag_id="hf_mapreduce",
            final_vars=["total"],
            output=str(server.dags / "hf_mapreduce.py"),
        )
    ).write()
    (server.dags / "hand_mapreduce.py").write_text(textwrap.dedent(HAND))
    rows = []
    try:
        started = time.perf_counter()
        server.start()
        print(f"airflow standalone healthy after {time.perf_counter() - started:.0f} s", flush=True)
        for dag_id in ("hf_mapreduce", "hand_mapreduce"):
            server.unpause(dag_id)
        timed_run(server, "hf_mapreduce", 10, 300)  # warm: the first run of a DAG pays parsing and imports
        timed_run(server, "hand_mapreduce", 10, 300)
        module = importlib.import_module("bench_mapreduce")
        for n in sizes:
            dr = driver.Builder().with_modules(module).build()
            t = time.perf_counter()
            expected = dr.raw_execute(["total"], inputs={"n": n})["total"]
            local = time.perf_counter() - t
            ours = timed_run(server, "hf_mapreduce", n, 600)
            from hamilflow.runtime.spec import PipelineSpec
            from hamilflow.runtime.store import ArtifactStore
            from hamilflow.runtime.task import read_outputs

            spec = PipelineSpec.from_dict(
                compile_pipeline(
                    CompileOptions(modules=["bench_mapreduce"], dag_id="hf_mapreduce", final_vars=["total"])
                ).spec.to_dict()
            )
            if ours["state"] == "success":
                got = read_outputs(spec, ours["run_id"], ArtifactStore(server.store))["total"]
                assert got == expected, (got, expected)
            theirs = timed_run(server, "hand_mapreduce", n, args.hand_timeout)
            rows.append({"n": n, "driver": local, "compiled": ours, "hand": theirs})
            print(json.dumps(rows[-1]), flush=True)
    finally:
        server.stop()
    print(f"\nmap-reduce of trivial items on airflow standalone (LocalExecutor, parallelism 4, {os.cpu_count()} cores)")
    print("| items | hand-written TaskFlow | hamilflow compiled (defaults) | hand / compiled | Driver in-process |")
    print("| ---: | --- | --- | ---: | ---: |")
    for row in rows:
        ours, theirs = row["compiled"], row["hand"]
        ratio = f"{theirs['wall'] / ours['wall']:.0f}x" if theirs["state"] == "success" else "-"
        print(
            f"| {row['n']:,} | {theirs['state']} {theirs['wall']:.1f} s ({theirs['instances']} task instances) "
            f"| {ours['state']} {ours['wall']:.1f} s ({ours['instances']} task instances) | {ratio} "
            f"| {row['driver']:.3f} s |"
        )
    (REPO / "bench" / "results" / "bench_scheduler.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
