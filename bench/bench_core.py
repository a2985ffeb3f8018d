"""Core overhead: building a Driver and executing a graph, hamilflow vs Apache Hamilton vs plain Python.

Graphs (generated as module source and imported, so both libraries crawl a normal module):

* ``chain-500``: ``n0(x)``, ``n1(n0)``, ... ``n499(n498)``; request ``n499``.
* ``wide-1000 -> total``: ``w0(x)`` ... ``w999(x)`` and ``total(w0, ..., w999)``; request ``total``.
* ``wide-1000 all``: the same module; request the 1,000 ``w*`` nodes.
* ``decorated-500``: the chain again, every function decorated (in turn ``@tag``,
  ``@config.when`` and a one-variant ``@parameterize``), so both libraries go through
  Hamilton's decorator resolution; hamilflow's plain functions take a fast path instead.

Each function is ``return <param> + <constant>``: the work is a few nanoseconds, so what
is measured is the engine's overhead. Both libraries run with their ``DefaultAdapter``
(dict results). Plain Python is a generated function calling the same functions
directly, in order (``v = n0(x); v = n1(v); ...``).

Figures: build = constructing the Driver (crawl, graph, validation); first execute = the
first ``execute`` on a fresh Driver; repeated execute = later calls on the same Driver.
Per node = execute time / function nodes run. Then chains of 1,000 and 5,000 nodes,
where Apache Hamilton's recursive execution is reported to hit ``RecursionError``.

    python bench/bench_core.py [--quick]
"""

from __future__ import annotations

import argparse
import logging
import sys

import _common as c
import hamilton.base
import hamilton.driver

import hamilflow.base
import hamilflow.driver

ENGINES = ("hamilflow", "hamilton")


def chain_source(n: int) -> str:
    lines = [f'"""A generated chain of {n} nodes."""', "", "", "def n0(x: int) -> int:", "    return x + 1", ""]
    for i in range(1, n):
        lines += ["", f"def n{i}(n{i - 1}: int) -> int:", f"    return n{i - 1} + 1", ""]
    return "\n".join(lines)


def decorated_chain_source(n: int) -> str:
    """The chain, each function decorated: one node per function, named n0 ... n{n-1}."""
    lines = [
        f'"""A generated chain of {n} decorated nodes."""',
        "",
        "from hamilton.function_modifiers import config, parameterize, source, tag, value",
        "",
    ]
    for i in range(n):
        previous = "x" if i == 0 else f"n{i - 1}"
        if i % 3 == 0:
            lines += [
                "",
                f'@tag(layer="l{i % 7}")',
                f"def n{i}({previous}: int) -> int:",
                f"    return {previous} + 1",
                "",
            ]
        elif i % 3 == 1:
            lines += ["", '@config.when(mode="x")', f"def n{i}__x({previous}: int) -> int:"]
            lines += [f"    return {previous} + 1", ""]
        else:
            lines += ["", f'@parameterize(n{i}={{"prev": source("{previous}"), "step": value(1)}})']
            lines += [f"def make_n{i}(prev: int, step: int) -> int:", "    return prev + step", ""]
    return "\n".join(lines)


def chain_plain_source(module: str, n: int) -> str:
    body = ["    v = n0(x)"] + [f"    v = n{i}(v)" for i in range(1, n)]
    return "\n".join([f"from {module} import *  # noqa", "", "", "def run(x):", *body, "    return v", ""])


def wide_source(n: int) -> str:
    lines = [f'"""A generated fan-out of {n} nodes from one input, and their sum."""', ""]
    for i in range(n):
        lines += ["", f"def w{i}(x: int) -> int:", f"    return x + {i}", ""]
    params = ", ".join(f"w{i}: int" for i in range(n))
    lines += ["", f"def total({params}) -> int:", "    return " + " + ".join(f"w{i}" for i in range(n)), ""]
    return "\n".join(lines)


def wide_plain_source(module: str, n: int) -> str:
    calls = [f"    v{i} = w{i}(x)" for i in range(n)]
    args = ", ".join(f"v{i}" for i in range(n))
    return "\n".join(
        [
            f"from {module} import *  # noqa",
            "",
            "",
            "def run_total(x):",
            *calls,
            f"    return total({args})",
            "",
            "",
            "def run_all(x):",
            "    return {" + ", ".join(f"'w{i}': w{i}(x)" for i in range(n)) + "}",
            "",
        ]
    )


def make_driver(engine: str, module, config: dict | None = None):
    config = config or {}
    if engine == "hamilflow":
        return hamilflow.driver.Driver(config, module, adapter=hamilflow.base.DefaultAdapter())
    return hamilton.driver.Driver(config, module, adapter=hamilton.base.DefaultAdapter())


def function_nodes(dr) -> int:
    return sum(1 for v in dr.list_available_variables() if not v.is_external_input)


def bench_case(name, module, final_vars, n_nodes, expected, plain, repeat, config=None):
    """Build and execute times of one graph on both engines and plain Python.

    The engines are measured in alternation, round after round, so that a burst of load
    from elsewhere on the machine hits both rather than one.
    """
    inputs = {"x": 1}
    warm = {}
    for engine in ENGINES:
        dr = warm[engine] = make_driver(engine, module, config)
        assert function_nodes(dr) == n_nodes_in_module(module), (engine, name, function_nodes(dr))
        got = dr.execute(final_vars, inputs=inputs)
        assert {k: got[k] for k in final_vars} == expected, (engine, name)
        for _ in range(3):
            dr.execute(final_vars, inputs=inputs)
    assert plain() == expected, name
    samples = {(e, k): [] for e in ENGINES for k in ("build", "first", "again")}
    samples[("plain", "again")] = []
    for _ in range(repeat["rounds"]):
        for engine in ENGINES:
            holder = []
            samples[(engine, "build")].append(
                c.once(lambda e=engine, h=holder: h.append(make_driver(e, module, config)))
            )
            samples[(engine, "first")].append(c.once(lambda d=holder[0]: d.execute(final_vars, inputs=inputs)))
            dr = warm[engine]
            for _ in range(repeat["execute"]):
                samples[(engine, "again")].append(c.once(lambda d=dr: d.execute(final_vars, inputs=inputs), gc=False))
        for _ in range(repeat["plain"]):
            samples[("plain", "again")].append(c.once(plain, gc=False))
    out = {"case": name, "nodes": n_nodes}
    for engine in ENGINES:
        out[engine] = {
            "build_ms": c.Timing(samples[(engine, "build")]).as_dict(1e3),
            "first_execute_us_per_node": c.Timing(samples[(engine, "first")]).as_dict(1e6 / n_nodes),
            "execute_us_per_node": c.Timing(samples[(engine, "again")]).as_dict(1e6 / n_nodes),
        }
    out["plain"] = {"execute_us_per_node": c.Timing(samples[("plain", "again")]).as_dict(1e6 / n_nodes)}
    return out


def n_nodes_in_module(module) -> int:
    return sum(1 for k, v in vars(module).items() if callable(v) and getattr(v, "__module__", None) == module.__name__)


def deep_chain(n: int, rounds: int) -> dict:
    """Build and execute a chain of ``n`` nodes on each engine; report times (min of rounds) or the error."""
    module = c.load_module(f"bench_chain_{n}", chain_source(n))
    final = [f"n{n - 1}"]
    quiet = logging.getLogger("hamilton")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)  # Hamilton logs a "need help? join our slack" banner on errors
    samples = {e: {"build": [], "first": [], "again": []} for e in ENGINES}
    errors: dict[str, str] = {}
    for _ in range(rounds):
        for engine in ENGINES:
            holder = []
            phase = "build"
            try:
                samples[engine]["build"].append(c.once(lambda e=engine, h=holder: h.append(make_driver(e, module))))
                dr = holder[0]
                assert function_nodes(dr) == n
                phase = "execute"
                samples[engine]["first"].append(c.once(lambda d=dr: d.execute(final, inputs={"x": 0})))
                samples[engine]["again"].append(c.once(lambda d=dr: d.execute(final, inputs={"x": 0})))
                assert dr.execute(final, inputs={"x": 0})[final[0]] == n
            except Exception as error:  # noqa: BLE001 - the point is to report it
                text = str(error).splitlines()[0][:120] if str(error) else ""
                errors[engine] = f"{type(error).__name__} in {phase}: {text}"
    quiet.setLevel(level)
    out = {}
    for engine in ENGINES:
        row = {"outcome": errors.get(engine, "ok")}
        for key, scale in (("build", 1e3), ("first", 1e6 / n), ("again", 1e6 / n)):
            if samples[engine][key]:
                row[key] = min(samples[engine][key]) * scale
        out[engine] = row
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run, not figures)")
    args = parser.parse_args()
    repeat = {"rounds": 3, "execute": 2, "plain": 10} if args.quick else {"rounds": 11, "execute": 5, "plain": 20}

    info = c.header("bench_core: build and per-node execute overhead")
    cases = []

    chain = c.load_module("bench_chain_500", chain_source(500))
    chain_plain = c.load_module("bench_chain_500_plain", chain_plain_source("bench_chain_500", 500))
    cases.append(
        bench_case("chain-500", chain, ["n499"], 500, {"n499": 501}, lambda: {"n499": chain_plain.run(1)}, repeat)
    )
    wide = c.load_module("bench_wide_1000", wide_source(1000))
    wide_plain = c.load_module("bench_wide_1000_plain", wide_plain_source("bench_wide_1000", 1000))
    total = sum(1 + i for i in range(1000))
    cases.append(
        bench_case(
            "wide-1000 -> total",
            wide,
            ["total"],
            1001,
            {"total": total},
            lambda: {"total": wide_plain.run_total(1)},
            repeat,
        )
    )
    all_w = [f"w{i}" for i in range(1000)]
    cases.append(
        bench_case(
            "wide-1000 all",
            wide,
            all_w,
            1000,
            {f"w{i}": 1 + i for i in range(1000)},
            lambda: wide_plain.run_all(1),
            repeat,
        )
    )

    decorated = c.load_module("bench_decorated_500", decorated_chain_source(500))
    cases.append(
        bench_case(
            "decorated-500",
            decorated,
            ["n499"],
            500,
            {"n499": 501},
            lambda: {"n499": chain_plain.run(1)},
            repeat,
            config={"mode": "x"},
        )
    )

    print()
    print("Build (ms, min / median of repeats):")
    rows = []
    for case in cases:
        hf, hm = case["hamilflow"]["build_ms"], case["hamilton"]["build_ms"]
        rows.append(
            [
                case["case"],
                f"{hf['min']:.2f} / {hf['median']:.2f}",
                f"{hm['min']:.2f} / {hm['median']:.2f}",
                c.ratio(hm["min"], hf["min"]),
            ]
        )
    print(c.table(["graph", "hamilflow", "Hamilton", "Hamilton / hamilflow"], rows))

    for key, title in (("first_execute_us_per_node", "First execute"), ("execute_us_per_node", "Repeated execute")):
        print()
        print(f"{title} (µs per node, min / median of repeats):")
        rows = []
        for case in cases:
            hf, hm = case["hamilflow"][key], case["hamilton"][key]
            pl = case["plain"]["execute_us_per_node"]
            rows.append(
                [
                    case["case"],
                    f"{hf['min']:.3f} / {hf['median']:.3f}",
                    f"{hm['min']:.3f} / {hm['median']:.3f}",
                    f"{pl['min']:.3f} / {pl['median']:.3f}",
                    c.ratio(hm["min"], hf["min"]),
                    c.ratio(hf["min"], pl["min"]),
                ]
            )
        print(c.table(["graph", "hamilflow", "Hamilton", "plain", "Hamilton / hamilflow", "hamilflow / plain"], rows))

    print()
    rounds = 2 if args.quick else 3
    print(f"Deep chains (min of {rounds} rounds; sys.getrecursionlimit() = {sys.getrecursionlimit()}):")
    deep = {n: deep_chain(n, rounds) for n in (1000, 5000)}
    rows = []
    for n, result in deep.items():
        for engine in ENGINES:
            row = result[engine]
            cells = [
                f"{row[k]:.1f}" if k == "build" else f"{row[k]:.3f}" if k in row else "-"
                for k in ("build", "first", "again")
            ]
            rows.append([f"chain-{n}", engine, row["outcome"], *cells])
    print(c.table(["graph", "engine", "outcome", "build ms", "first execute µs/node", "repeated µs/node"], rows))

    print()
    print("Targets (from the min of repeats; overhead = per-node time minus plain Python's):")
    chain500 = cases[0]
    build_ratio = chain500["hamilton"]["build_ms"]["min"] / chain500["hamilflow"]["build_ms"]["min"]
    print(
        f"   build chain-500, Hamilton / hamilflow >= 3x: {build_ratio:.1f}x"
        f" -> {'met' if build_ratio >= 3 else 'MISSED'}"
    )
    decorated_case = next(case for case in cases if case["case"] == "decorated-500")
    decorated_ratio = decorated_case["hamilton"]["build_ms"]["min"] / decorated_case["hamilflow"]["build_ms"]["min"]
    print(f"   build decorated-500, Hamilton / hamilflow (both resolve Hamilton's decorators): {decorated_ratio:.1f}x")
    for key, label in (("execute_us_per_node", "repeated"), ("first_execute_us_per_node", "first")):
        for case in cases:
            plain = case["plain"]["execute_us_per_node"]["min"]
            hf = case["hamilflow"][key]["min"] - plain
            hm = case["hamilton"][key]["min"] - plain
            r = hm / hf
            print(
                f"   {label} execute overhead/node {case['case']}, Hamilton / hamilflow >= 3x: {r:.1f}x"
                f" -> {'met' if r >= 3 else 'MISSED'}"
            )

    path = c.save("bench_core", {"machine": info, "cases": cases, "deep_chains": deep}, quick=args.quick)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
