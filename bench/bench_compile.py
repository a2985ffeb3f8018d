"""Compile and parse a wide pipeline (issue 11, part 2): 1,000 and 16,000 tasks.

The pipeline is ``w0(x)`` … ``w<n-1>(x)``, each ``return x + i`` with a docstring, all
requested, ``x`` a DAG param. *compile* is ``compile_pipeline`` (graph, plan, model, text);
*parse* is Airflow's ``DagBag`` over a folder holding the file. The hand-written reference is
the DAG an Airflow engineer would write for the same tasks: one ``@task`` per function, its
docstring, the same param, no dependencies. Parses alternate, min of the repeats.

Run: ``python bench/bench_compile.py [--sizes 1000,16000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
WORK = Path(tempfile.mkdtemp(prefix="hamilflow-bench-compile-"))
sys.path.insert(0, str(WORK))

from hamilflow.embedded_airflow import prepare  # noqa: E402

prepare(WORK / "airflow_home")


def wide_source(n: int) -> str:
    return "\n".join(f'def w{i}(x: int) -> int:\n    """Add {i}."""\n    return x + {i}\n' for i in range(n))


def hand_source(n: int) -> str:
    lines = [
        "import datetime",
        "",
        "from airflow.sdk import Param, dag, task",
        "",
        "",
        "@dag(",
        "    schedule=None,",
        "    start_date=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),",
        "    catchup=False,",
        "    params={'x': Param(1, type='integer')},",
        ")",
        f"def hand{n}():",
    ]
    for i in range(n):
        lines += [
            "    @task",
            f"    def w{i}(params=None):",
            f'        """Add {i}."""',
            f"        return params['x'] + {i}",
            "",
        ]
    lines += [f"    w{i}()" for i in range(n)]
    lines += ["", "", f"hand{n}_dag = hand{n}()", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,16000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from airflow.dag_processing.dagbag import DagBag

    from hamilflow.compiler import CompileOptions, compile_pipeline

    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        (WORK / f"wide{n}.py").write_text(wide_source(n))
        options = CompileOptions(
            modules=[f"wide{n}"], dag_id=f"wide{n}", params={"x": 1}, output=str(WORK / f"compiled{n}" / "dag.py")
        )
        compile_times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            compiled = compile_pipeline(options)
            compile_times.append(time.perf_counter() - started)
        compiled.write()
        hand = WORK / f"hand{n}" / "dag.py"
        hand.parent.mkdir()
        hand.write_text(hand_source(n))

        def parse(folder: Path, n: int = n) -> float:
            started = time.perf_counter()
            bag = DagBag(dag_folder=str(folder))
            elapsed = time.perf_counter() - started
            assert not bag.import_errors, bag.import_errors
            assert len(next(iter(bag.dags.values())).tasks) == n
            return elapsed

        parse(compiled.path.parent)  # warm imports (hamilflow's runtime module, Airflow's)
        parse(hand.parent)
        ours, theirs = [], []
        for _ in range(args.repeat):
            ours.append(parse(compiled.path.parent))
            theirs.append(parse(hand.parent))
        rows.append({"tasks": n, "compile": min(compile_times), "parse": min(ours), "hand_parse": min(theirs)})
        print(json.dumps(rows[-1]), flush=True)
    print(f"\ncompile and parse a wide pipeline (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    print("| tasks | compile | parse, compiled file | parse, hand-written | compiled / hand-written |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(
            f"| {r['tasks']:,} | {r['compile']:.2f} s | {r['parse']:.2f} s | {r['hand_parse']:.2f} s "
            f"| {r['parse'] / r['hand_parse']:.2f} |"
        )
    (REPO / "bench" / "results" / "bench_compile.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
