"""Per-task load (issue 11, part 2): what a fresh Airflow task process spends before it runs its node.

A chain of n nodes is compiled; then, each in a new Python process (as each Airflow task is),
``hamilflow.runtime.task.load(spec)`` is timed: import the pipeline's module, get the plan and
the task's nodes, check the fingerprint. *built* is a process that finds no cached plan (the
first task of a code version on a worker: it builds the graph and plan, hashes every function,
and writes the cache); *cached* a process that finds it. The hamilflow and Airflow imports
every task process makes anyway (the DAG file imports the runtime) are outside the figure.

Run: ``python bench/bench_load.py [--sizes 10,1000,5000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CHILD = textwrap.dedent(
    """
    import json, sys, time
    import hamilflow.runtime.task as task
    from hamilflow.runtime.spec import PipelineSpec
    spec = PipelineSpec.from_dict(json.loads(sys.argv[1]))
    started = time.perf_counter()
    pipeline = task.load(spec)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    task.run_task(spec, sys.argv[2], "bench", {"x": 1} if sys.argv[2] == "n0" else {})
    ran = time.perf_counter() - started
    print(json.dumps({"load": loaded, "run": ran, "cached": pipeline.from_cache}))
    """
)


def chain_source(n: int) -> str:
    lines = ['def n0(x: int) -> int:\n    """The first link."""\n    return x + 1\n']
    lines += [f'def n{i}(n{i - 1}: int) -> int:\n    """Link {i}."""\n    return n{i - 1} + 1\n' for i in range(1, n)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10,1000,5000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from hamilflow.compiler import CompileOptions, compile_pipeline

    work = Path(tempfile.mkdtemp(prefix="hamilflow-bench-load-"))
    sys.path.insert(0, str(work))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(work), str(REPO)]),
        "HAMILFLOW_STORE_URL": str(work / "store"),
        "HAMILFLOW_PLAN_CACHE": str(work / "plans"),
    }
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        name = f"chain{n}"
        (work / f"{name}.py").write_text(chain_source(n))
        spec = compile_pipeline(
            CompileOptions(modules=[name], dag_id=name, final_vars=[f"n{n - 1}"], params={"x": 0})
        ).spec
        # its .pyc, as a worker's first import writes it (PYTHONDONTWRITEBYTECODE would keep every import compiling)
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(work / f"{name}.py")], env=env, check=True)
        figures: dict[str, list[float]] = {"built": [], "cached": []}
        for _ in range(args.repeat):
            for cache in (work / "plans").glob("*.pkl"):
                cache.unlink()
            for kind, task in (("built", "n0"), ("cached", "n1")):
                out = subprocess.run(
                    [sys.executable, "-c", CHILD, json.dumps(spec.to_dict()), task],
                    env=env,
                    cwd=work,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                assert result["cached"] == (kind == "cached"), (kind, result)
                figures[kind].append(result["load"])
        rows.append(
            (
                n,
                min(figures["built"]),
                statistics.median(figures["built"]),
                min(figures["cached"]),
                statistics.median(figures["cached"]),
            )
        )
    print(f"\nper-task load in a fresh process (python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    print("| nodes | no cached plan (first task): min / median ms | cached plan: min / median ms |")
    print("| ---: | ---: | ---: |")
    for n, b_min, b_med, c_min, c_med in rows:
        print(f"| {n:,} | {b_min * 1000:.1f} / {b_med * 1000:.1f} | {c_min * 1000:.1f} / {c_med * 1000:.1f} |")
    out = Path(__file__).parent / "results" / "bench_load.json"
    out.write_text(
        json.dumps(
            [dict(zip(("nodes", "built_min", "built_median", "cached_min", "cached_median"), r)) for r in rows],
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
