"""Airflow benchmarks (issue 4): compile and parse time of a 1,000-task pipeline, the runtime's
own cost per task, and the wall time of a compiled DAG's ``dag.test()`` against a hand-written
TaskFlow DAG that does the same work passing values through XCom.

Run: ``python bench/bench_airflow.py`` (needs ``hamilflow[airflow]``). Prints a table of figures.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="hamilflow-bench-airflow-"))
sys.path.insert(0, str(WORK))
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from hamilflow.embedded_airflow import prepare, run_dag_file  # noqa: E402

prepare(WORK / "airflow_home")

from hamilflow.compiler import CompileOptions, compile_pipeline  # noqa: E402
from hamilflow.runtime.spec import PipelineSpec  # noqa: E402
from hamilflow.runtime.task import run_task  # noqa: E402


def write_module(name: str, source: str) -> None:
    (WORK / f"{name}.py").write_text(textwrap.dedent(source))
    importlib.invalidate_caches()


def chain_source(n: int) -> str:
    lines = ["def n0(x: int) -> int:\n    return x + 1\n"]
    lines += [f"def n{i}(n{i - 1}: int) -> int:\n    return n{i - 1} + 1\n" for i in range(1, n)]
    return "\n".join(lines)


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_compile_and_parse(rows: list) -> None:
    write_module("chain1000", chain_source(1000))
    options = CompileOptions(
        modules=["chain1000"],
        dag_id="chain1000",
        final_vars=["n999"],
        params={"x": 0},
        output=str(WORK / "dags_chain" / "chain1000.py"),
    )
    compile_s = best(lambda: compile_pipeline(options), repeat=3)
    compile_pipeline(options).write()
    hand = WORK / "dags_hand" / "hand1000.py"
    hand.parent.mkdir(parents=True, exist_ok=True)
    body = [
        "from airflow.sdk import dag, task",
        "import datetime",
        "",
        "@dag(dag_id='hand1000', schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)",
        "def hand1000():",
    ]
    for i in range(1000):
        body.append(f"    @task(task_id='n{i}')\n    def n{i}(v):\n        return v + 1\n")
    body.append("    v = 0")
    body += [f"    v = n{i}(v)" for i in range(1000)]
    body += ["", "hand1000_dag = hand1000()", ""]
    hand.write_text("\n".join(body))
    from airflow.dag_processing.dagbag import DagBag

    def parse(folder: Path) -> None:
        bag = DagBag(dag_folder=str(folder))
        assert not bag.import_errors, bag.import_errors
        assert len(next(iter(bag.dags.values())).tasks) == 1000

    parse(WORK / "dags_chain")  # warm imports
    ours = best(lambda: parse(WORK / "dags_chain"))
    theirs = best(lambda: parse(WORK / "dags_hand"))
    rows.append(("compile a 1,000-task chain", f"{compile_s * 1000:.0f} ms", ""))
    rows.append(
        (
            "Airflow parse, compiled 1,000-task DAG file",
            f"{ours * 1000:.0f} ms",
            f"hand-written TaskFlow: {theirs * 1000:.0f} ms (ratio {ours / theirs:.2f})",
        )
    )


def bench_runtime_cost(rows: list) -> None:
    write_module("tiny", "def b(a: int) -> int:\n    return a + 1\n\ndef c(b: int) -> int:\n    return b * 2\n")
    compiled = compile_pipeline(
        CompileOptions(
            modules=["tiny"], dag_id="tiny", final_vars=["c"], params={"a": 1}, output=str(WORK / "tiny_dag.py")
        )
    )
    spec: PipelineSpec = compiled.spec
    run_task(spec, "b", "warm", {"a": 1})  # loads the pipeline once per process, as a worker does
    samples = []
    for _ in range(300):
        started = time.perf_counter()
        run_task(spec, "c", "warm", {})  # load input b, run c, store c
        samples.append(time.perf_counter() - started)
    rows.append(
        (
            "runtime cost per task (load input, run trivial node, store)",
            f"{statistics.median(samples) * 1000:.2f} ms median",
            f"p90 {sorted(samples)[270] * 1000:.2f} ms; target < 5 ms",
        )
    )


def bench_dag_test(rows: list) -> None:
    items = 20
    write_module(
        "mapreduce",
        f"""
        from hamilflow.htypes import Collect, Parallelizable

        def item(n: int = {items}) -> Parallelizable[int]:
            return list(range(n))

        def squared(item: int) -> int:
            return item * item

        def total(squared: Collect[int]) -> int:
            return sum(squared)

        def report(total: int) -> str:
            return f"total={{total}}"
    """,
    )
    compiled = compile_pipeline(
        CompileOptions(
            modules=["mapreduce"], dag_id="mapreduce_hf", final_vars=["report"], output=str(WORK / "mapreduce_hf.py")
        )
    )
    compiled.write()
    hand = WORK / "mapreduce_hand.py"
    hand.write_text(
        textwrap.dedent(f"""
        import datetime
        from airflow.sdk import dag, task

        @dag(dag_id="mapreduce_hand", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
        def mapreduce_hand():
            @task(task_id="item")
            def item():
                return list(range({items}))

            @task(task_id="squared")
            def squared(item):
                return item * item

            @task(task_id="total", trigger_rule="none_failed")
            def total(squared):
                return sum(squared)

            @task(task_id="report")
            def report(total):
                return f"total={{total}}"

            report(total(squared.expand(item=item())))

        mapreduce_hand_dag = mapreduce_hand()
    """)
    )
    run_dag_file(hand)  # the first dag.test() of a process pays Airflow's start-up; keep it out of both figures
    ours, theirs = [], []
    for _ in range(3):
        started = time.perf_counter()
        result = run_dag_file(WORK / "mapreduce_hf.py")
        ours.append(time.perf_counter() - started)
        assert result.state == "success" and result.outputs == {"report": f"total={sum(i * i for i in range(items))}"}
        started = time.perf_counter()
        assert run_dag_file(hand).state == "success"
        theirs.append(time.perf_counter() - started)
    rows.append(
        (
            f"dag.test() of a map-reduce ({items} mapped items, 4 tasks)",
            f"{min(ours):.2f} s",
            f"hand-written TaskFlow via XCom: {min(theirs):.2f} s (ratio {min(ours) / min(theirs):.2f}; target <= 1.1)",
        )
    )


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    bench_compile_and_parse(rows)
    bench_runtime_cost(rows)
    bench_dag_test(rows)
    width = max(len(r[0]) for r in rows)
    print(f"\nhamilflow on Airflow (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    for name, figure, note in rows:
        print(f"  {name:<{width}}  {figure:>16}  {note}")
    (Path(__file__).parent / "results_airflow.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
