"""Dynamic execution (Parallelizable/Collect): hamilflow vs Apache Hamilton 1.90 vs a plain loop.

The map-reduce pipeline (generated module source; the only difference between the two
engines' copies is the line importing ``Parallelizable``/``Collect``)::

    def item(m: int) -> Parallelizable[int]:  yield 0 .. m-1
    def doubled(item: int) -> int:            item * 2
    def plus_one(doubled: int) -> int:        doubled + 1
    def total(plus_one: Collect[int]) -> int: sum(plus_one)       # = m * m

Both engines use their default grouping (the two per-item nodes run as one task per
item) and their DictResult. Measured, each run on a freshly built Driver (build time
not included; pool start-up, if any, included):

1. synchronous: SynchronousLocalTaskExecutor as the local and the remote executor, for
   m = 1,000 / 2,000 / 4,000 on both; 20,000 and 100,000 on hamilflow only (Hamilton's
   cost grows with the square of m). A plain loop ``sum(plus_one(doubled(i)) ...)``
   is the reference.
2. per-item overhead of MultiProcessingExecutor(2) and MultiThreadingExecutor(4) as the
   remote executor, with the same trivial items: total wall time / m, and the marginal
   cost per item between two sizes of m (which removes pool start-up and other fixed costs).
3. CPU-bound items (a pure-Python loop of about 20 ms each): hamilflow with
   MultiProcessingExecutor(2) vs synchronously; Hamilton the same, for reference.

    python bench/bench_dynamic.py [--quick]
"""

from __future__ import annotations

import argparse
import logging
import os
import time

import _common as c
import hamilton.driver
import hamilton.execution.executors as hm_executors

import hamilflow.driver
import hamilflow.execution.executors as hf_executors

ENGINES = {
    "hamilflow": (hamilflow.driver, hf_executors),
    "hamilton": (hamilton.driver, hm_executors),
}

MAP_REDUCE = '''"""Generated map-reduce for bench_dynamic."""
from {package}.htypes import Collect, Parallelizable


def item(m: int) -> Parallelizable[int]:
    for i in range(m):
        yield i


def doubled(item: int) -> int:
    return item * 2


def plus_one(doubled: int) -> int:
    return doubled + 1


def total(plus_one: Collect[int]) -> int:
    return sum(plus_one)
'''

CPU_BOUND = '''"""Generated CPU-bound map-reduce for bench_dynamic: each item spins a pure-Python loop."""
from {package}.htypes import Collect, Parallelizable

LOOPS = {loops}


def item(m: int) -> Parallelizable[int]:
    for i in range(m):
        yield i


def burned(item: int) -> int:
    s = 0
    for k in range(LOOPS):
        s ^= k + item
    return s


def cpu_total(burned: Collect[int]) -> int:
    return sum(burned)
'''

PACKAGE = {"hamilflow": "hamilflow", "hamilton": "hamilton"}


def spin(loops: int, item: int = 0) -> int:
    s = 0
    for k in range(loops):
        s ^= k + item
    return s


def calibrate(target_s: float = 0.020) -> int:
    """Loop count of ``spin`` taking about ``target_s`` (best of a few tries, so load does not shrink it)."""
    probe = 200_000
    best = min(c.measure(lambda: spin(probe), 5).seconds)
    return max(1, int(probe * target_s / best))


def build(engine: str, module, local, remote):
    driver_module, _ = ENGINES[engine]
    return (
        driver_module.Builder()
        .with_modules(module)
        .enable_dynamic_execution(allow_experimental_mode=True)
        .with_local_executor(local)
        .with_remote_executor(remote)
        .build()
    )


def executor(engine: str, kind: str):
    module = ENGINES[engine][1]
    if kind == "sync":
        return module.SynchronousLocalTaskExecutor()
    if kind == "procs2":
        return module.MultiProcessingExecutor(2)
    if kind == "threads4":
        return module.MultiThreadingExecutor(4)
    raise ValueError(kind)


def run_once(engine: str, module, kind: str, output: str, m: int, expected: int) -> float:
    """Seconds of one execute on a fresh Driver (checked against ``expected``)."""
    dr = build(engine, module, executor(engine, "sync"), executor(engine, kind))
    start = time.perf_counter()
    result = dr.execute([output], inputs={"m": m})
    seconds = time.perf_counter() - start
    assert result[output] == expected, (engine, kind, m, result[output], expected)
    return seconds


def timed(engine, module, kind, output, m, expected, repeat) -> c.Timing:
    return c.Timing([run_once(engine, module, kind, output, m, expected) for _ in range(repeat)])


def fmt_s(t: c.Timing | None) -> str:
    return "-" if t is None else f"{t.min:.3f} / {t.median:.3f}"


def section_sync(mods, quick: bool) -> list[dict]:
    """1. Synchronous executors on both engines; hamilflow alone at the large sizes; the plain loop."""
    plain_mod = mods["hamilflow"]
    sizes_both = [200, 400] if quick else [1000, 2000, 4000]
    sizes_hf = [2000, 10_000] if quick else [20_000, 100_000]
    rep_hf, rep_hm = (2, 1) if quick else (5, 3)
    sync = []
    for m in sizes_both + sizes_hf:
        expected = m * m
        row = {"m": m}

        def plain(m=m):
            return sum(plain_mod.plus_one(plain_mod.doubled(i)) for i in plain_mod.item(m))

        assert plain() == expected
        row["plain"] = c.measure(plain, 7)
        row["hamilflow"] = timed("hamilflow", mods["hamilflow"], "sync", "total", m, expected, rep_hf)
        row["hamilton"] = (
            timed("hamilton", mods["hamilton"], "sync", "total", m, expected, rep_hm if m < 4000 else 2)
            if m in sizes_both
            else None
        )
        sync.append(row)
        print(
            f"   sync m={m}: hamilflow {row['hamilflow'].min:.3f}s"
            + (f", Hamilton {row['hamilton'].min:.3f}s" if row["hamilton"] else ""),
            flush=True,
        )

    print()
    print("Synchronous map-reduce (seconds per execute, min / median; µs per item from the min):")
    rows = []
    for row in sync:
        hf, hm, pl = row["hamilflow"], row["hamilton"], row["plain"]
        rows.append(
            [
                f"{row['m']:,}",
                fmt_s(hf),
                fmt_s(hm),
                f"{pl.min:.4f}",
                f"{hf.min / row['m'] * 1e6:.1f}",
                "-" if hm is None else f"{hm.min / row['m'] * 1e6:.0f}",
                c.ratio(hm.min if hm else None, hf.min),
                c.ratio(hf.min, pl.min),
            ]
        )
    print(
        c.table(
            [
                "m",
                "hamilflow s",
                "Hamilton s",
                "plain s",
                "hamilflow µs/item",
                "Hamilton µs/item",
                "Hamilton / hamilflow",
                "hamilflow / plain",
            ],
            rows,
        )
    )
    return sync


def section_overhead(mods, quick: bool) -> list[dict]:
    """2. Per-item overhead of the process and thread executors, with trivial items.

    Two sizes per engine: µs per item = wall time / m at each size, and the marginal
    cost per item between them (which removes pool start-up and other fixed costs).
    Hamilton runs fewer items: its cost per item grows with m, so its figures at small
    m are its most favourable ones. Synchronous rows are the reference.
    """
    sizes = {
        ("hamilflow", "procs2"): (2000, 20_000),
        ("hamilton", "procs2"): (200, 400),
        ("hamilflow", "threads4"): (2000, 20_000),
        ("hamilton", "threads4"): (200, 400),
        ("hamilflow", "sync"): (2000, 20_000),
        ("hamilton", "sync"): (200, 400),
    }
    if quick:
        sizes = {k: (v[0] // 10, v[1] // 10) for k, v in sizes.items()}
    rep = 1 if quick else 3
    overhead = []
    for (engine, kind), (small, large) in sizes.items():
        t_small = timed(engine, mods[engine], kind, "total", small, small * small, rep)
        t_large = timed(engine, mods[engine], kind, "total", large, large * large, rep)
        overhead.append(
            {
                "engine": engine,
                "executor": kind,
                "m_small": small,
                "m_large": large,
                "small": t_small,
                "large": t_large,
                "per_item_small_us": t_small.min / small * 1e6,
                "per_item_large_us": t_large.min / large * 1e6,
                "marginal_us": (t_large.min - t_small.min) / (large - small) * 1e6,
            }
        )
        print(f"   {engine} {kind}: m={small} {t_small.min:.3f}s, m={large} {t_large.min:.3f}s", flush=True)

    print()
    print(
        "Per-item cost of executors with trivial items (µs/item = wall / m, from the min of repeats;"
        " marginal = (t(large) - t(small)) / (large - small)):"
    )
    rows = []
    by = {(r["engine"], r["executor"]): r for r in overhead}
    for kind in ("procs2", "threads4", "sync"):
        hf, hm = by[("hamilflow", kind)], by[("hamilton", kind)]
        for r in (hf, hm):
            rows.append(
                [
                    EXECUTOR_NAMES[kind],
                    r["engine"],
                    f"{r['m_small']:,} / {r['m_large']:,}",
                    f"{r['small'].min:.3f} / {r['large'].min:.3f}",
                    f"{r['per_item_small_us']:.1f} / {r['per_item_large_us']:.1f}",
                    f"{r['marginal_us']:.1f}",
                ]
            )
        rows.append(
            [
                EXECUTOR_NAMES[kind],
                "Hamilton / hamilflow",
                "",
                "",
                f"{c.ratio(hm['per_item_small_us'], hf['per_item_small_us'])} (at the smaller m)",
                c.ratio(hm["marginal_us"], hf["marginal_us"]) if hf["marginal_us"] > 0 < hm["marginal_us"] else "-",
            ]
        )
    print(
        c.table(
            ["executor", "engine", "m (small / large)", "seconds", "µs/item (small / large m)", "µs/item marginal"],
            rows,
        )
    )
    return overhead


def section_cpu(quick: bool) -> dict:
    """3. CPU-bound items: processes vs synchronous (the machine should be quiet)."""
    loops = calibrate(0.005 if quick else 0.020)
    cpu_mods = {e: c.load_module(f"bench_cpu_{e}", CPU_BOUND.format(package=PACKAGE[e], loops=loops)) for e in ENGINES}
    m = 8 if quick else 80  # a multiple of 2 workers x 4 units each: equal batches (see README)
    expected = sum(spin(loops, i) for i in range(m))
    per_item = c.measure(lambda: spin(loops, 1), 3).min
    rep = 1 if quick else 3
    cpu = {"loops": loops, "m": m, "item_ms": per_item * 1e3}
    for engine in ENGINES:
        for kind in ("sync", "procs2"):
            cpu[f"{engine} {kind}"] = timed(engine, cpu_mods[engine], kind, "cpu_total", m, expected, rep)
    print()
    print(f"   load average before the CPU-bound runs: {tuple(round(x, 2) for x in os.getloadavg())}")
    print(
        f"CPU-bound items: m = {m}, each a pure-Python loop of {loops:,} steps "
        f"(~{per_item * 1e3:.1f} ms alone); seconds min / median; speed-up from the min:"
    )
    rows = []
    for engine in ENGINES:
        s, p = cpu[f"{engine} sync"], cpu[f"{engine} procs2"]
        rows.append([engine, fmt_s(s), fmt_s(p), c.ratio(s.min, p.min)])
    print(c.table(["engine", "synchronous", "MultiProcessingExecutor(2)", "speed-up"], rows))
    return cpu


def targets(sync: list[dict], overhead: list[dict], cpu: dict) -> None:
    """Print each target of the issues with the measured figure (for the sections that ran)."""
    print()
    print("Targets (from the min of repeats):")
    big = next((r for r in sync if r["m"] == 100_000), None)
    if big:
        t = big["hamilflow"].min
        print(f"   hamilflow m=100,000 synchronous < 3 s: {t:.2f} s -> {'met' if t < 3 else 'MISSED'}")
    at4k = next((r for r in sync if r["m"] == 4000), None)
    if at4k:
        r = at4k["hamilton"].min / at4k["hamilflow"].min
        print(f"   m=4,000 synchronous, Hamilton / hamilflow >= 50x: {r:.0f}x -> {'met' if r >= 50 else 'MISSED'}")
    by = {(r["engine"], r["executor"]): r for r in overhead}
    if ("hamilflow", "procs2") in by:
        hf, hm = by[("hamilflow", "procs2")], by[("hamilton", "procs2")]
        for key, label in (("per_item_small_us", "wall / m at the smaller m"), ("marginal_us", "marginal")):
            if hf[key] <= 0 or hm[key] <= 0:
                print(f"   process per-item overhead ({label}): not measurable at these sizes (noise)")
                continue
            r = hm[key] / hf[key]
            print(
                f"   process per-item overhead ({label}), Hamilton / hamilflow >= 10x: {r:.1f}x"
                f" -> {'met' if r >= 10 else 'MISSED'}"
            )
    if cpu:
        r = cpu["hamilflow sync"].min / cpu["hamilflow procs2"].min
        print(
            f"   CPU-bound, hamilflow MultiProcessingExecutor(2) vs synchronous >= 1.7x: {r:.2f}x"
            f" -> {'met' if r >= 1.7 else 'MISSED'}"
        )


SECTIONS = ("sync", "overhead", "cpu")
EXECUTOR_NAMES = {
    "procs2": "MultiProcessingExecutor(2)",
    "threads4": "MultiThreadingExecutor(4)",
    "sync": "SynchronousLocalTaskExecutor",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and sizes (a smoke run, not figures)")
    parser.add_argument(
        "--only", choices=SECTIONS, action="append", help="run only this section (repeatable); default: all"
    )
    args = parser.parse_args()
    quick, only = args.quick, set(args.only or SECTIONS)
    logging.getLogger("hamilton").setLevel(logging.ERROR)

    info = c.header("bench_dynamic: Parallelizable/Collect map-reduce")
    mods = {e: c.load_module(f"bench_mapreduce_{e}", MAP_REDUCE.format(package=PACKAGE[e])) for e in ENGINES}
    out: dict = {"machine": info}
    sync = section_sync(mods, quick) if "sync" in only else []
    overhead = section_overhead(mods, quick) if "overhead" in only else []
    cpu = section_cpu(quick) if "cpu" in only else {}
    out["sync"] = [{k: (v.as_dict() if isinstance(v, c.Timing) else v) for k, v in row.items()} for row in sync]
    out["overhead"] = [{k: (v.as_dict() if isinstance(v, c.Timing) else v) for k, v in r.items()} for r in overhead]
    out["cpu_bound"] = {k: (v.as_dict() if isinstance(v, c.Timing) else v) for k, v in cpu.items()}
    targets(sync, overhead, cpu)
    name = "bench_dynamic" if only == set(SECTIONS) else "bench_dynamic-" + "-".join(s for s in SECTIONS if s in only)
    path = c.save(name, out, quick=quick)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
