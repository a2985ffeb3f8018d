"""Peak memory and time of a chain of large values: hamilflow vs Apache Hamilton vs plain Python.

The pipeline is a chain of six nodes; the first makes a DataFrame of ``--mb`` megabytes and
each next one derives a new frame of the same size from the one before (``frame * 1.0001``).
Plain Python calls the six functions in a row, so at most two frames are alive at once: the
best any engine can do. An engine that keeps every intermediate value until the run ends
holds all six.

Each engine runs in a fresh Python process (so one engine's garbage cannot inflate another's
peak); the peak is that process's maximum resident set size (``ru_maxrss``). What the run
itself added is the peak minus the process's size after its imports (an engine imports more
than plain Python's numpy and pandas); the targets compare both. Runs alternate between
engines, round after round.

    python bench/bench_memory.py [--mb 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import _common as c

PIPELINE = textwrap.dedent(
    """
    import numpy as np
    import pandas as pd

    ROWS = {rows}

    def frame0(seed: int) -> pd.DataFrame:
        return pd.DataFrame(np.random.default_rng(seed).random((ROWS, 8)))

    def frame1(frame0: pd.DataFrame) -> pd.DataFrame:
        return frame0 * 1.0001

    def frame2(frame1: pd.DataFrame) -> pd.DataFrame:
        return frame1 * 1.0001

    def frame3(frame2: pd.DataFrame) -> pd.DataFrame:
        return frame2 * 1.0001

    def frame4(frame3: pd.DataFrame) -> pd.DataFrame:
        return frame3 * 1.0001

    def total(frame4: pd.DataFrame) -> float:
        return float(frame4.values.sum())
    """
)

RUNNER = textwrap.dedent(
    """
    import importlib.util, json, resource, sys, time
    spec = importlib.util.spec_from_file_location("chain_pipeline", sys.argv[1])
    m = importlib.util.module_from_spec(spec); sys.modules["chain_pipeline"] = m; spec.loader.exec_module(m)
    engine = sys.argv[2]
    if engine == "plain":
        run = lambda: m.total(m.frame4(m.frame3(m.frame2(m.frame1(m.frame0(1))))))
    elif engine == "hamilton":
        from hamilton import driver
        dr = driver.Builder().with_modules(m).build()
        run = lambda: dr.execute(["total"], inputs={"seed": 1})["total"]
    else:
        from hamilflow import driver
        from hamilflow.execution import executors, grouping
        builder = driver.Builder().with_modules(m)
        if engine != "hamilflow":
            builder = builder.enable_dynamic_execution(allow_experimental_mode=True).with_grouping_strategy(
                grouping.GroupNodesIndividually())
            if engine == "hamilflow threads":
                builder = builder.with_local_executor(executors.MultiThreadingExecutor(2))
        dr = builder.build()
        run = lambda: dr.execute(["total"], inputs={"seed": 1})["total"]
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    value = run()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"value": value, "seconds": seconds, "base_mb": base / 1024, "peak_mb": peak / 1024}))
    """
)

ENGINES = ("plain", "hamilflow", "hamilflow dynamic", "hamilflow threads", "hamilton")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=300, help="size of each frame in MB (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per engine (default 3)")
    parser.add_argument("--quick", action="store_true", help="small frames, one round (a smoke run)")
    args = parser.parse_args()
    mb, rounds = (20, 1) if args.quick else (args.mb, args.rounds)
    info = c.header(f"bench_memory: a chain of six {mb} MB DataFrames")
    tmp = Path(tempfile.mkdtemp(prefix="hamilflow-bench-memory-"))
    module = tmp / "chain_pipeline.py"
    module.write_text(PIPELINE.format(rows=mb * 1024 * 1024 // 64))
    runner = tmp / "run_chain.py"
    runner.write_text(RUNNER)
    samples: dict[str, list[dict]] = {e: [] for e in ENGINES}
    for _ in range(rounds):
        for engine in ENGINES:
            done = subprocess.run(
                [sys.executable, str(runner), str(module), engine], capture_output=True, text=True, check=True
            )
            samples[engine].append(json.loads(done.stdout.strip().splitlines()[-1]))
    values = {round(s["value"], 3) for runs in samples.values() for s in runs}
    assert len(values) == 1, f"engines disagree: {values}"
    plain_peak = min(s["peak_mb"] for s in samples["plain"])
    plain_added = min(s["peak_mb"] - s["base_mb"] for s in samples["plain"])
    plain_time = min(s["seconds"] for s in samples["plain"])
    rows, out = [], {}
    for engine in ENGINES:
        peak = min(s["peak_mb"] for s in samples[engine])
        base = min(s["base_mb"] for s in samples[engine])
        added = min(s["peak_mb"] - s["base_mb"] for s in samples[engine])
        seconds = min(s["seconds"] for s in samples[engine])
        out[engine] = {"peak_mb": peak, "base_mb": base, "added_mb": added, "seconds": seconds}
        rows.append(
            [
                engine,
                f"{base:.0f}",
                f"{peak:.0f}",
                c.ratio(peak, plain_peak),
                f"{added:.0f}",
                c.ratio(added, plain_added),
                f"{seconds:.2f}",
                c.ratio(seconds, plain_time),
            ]
        )
    print()
    print(f"Peak RSS and time (min of {rounds} fresh processes per engine):")
    headers = ["engine", "after imports MB", "peak MB", "peak / plain", "added MB", "added / plain", "seconds"]
    print(c.table([*headers, "time / plain"], rows))
    print()
    print("Targets:")
    hamilton_peak = out["hamilton"]["peak_mb"]
    for engine in ENGINES[1:4]:
        peak_ratio = out[engine]["peak_mb"] / plain_peak
        added_ratio = out[engine]["added_mb"] / plain_added
        time_ratio = out[engine]["seconds"] / plain_time
        print(
            f"   {engine}: peak {peak_ratio:.2f}x plain (<= 1.2x: {'met' if peak_ratio <= 1.2 else 'MISSED'}), "
            f"added by the run {added_ratio:.2f}x plain's, "
            f"below Hamilton's ({'met' if out[engine]['peak_mb'] < hamilton_peak else 'MISSED'}), "
            f"time {time_ratio:.2f}x plain (<= 1.2x: {'met' if time_ratio <= 1.2 else 'MISSED'})"
        )
    path = c.save("bench_memory", {"machine": info, "mb": mb, "rounds": rounds, "engines": out}, quick=args.quick)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
