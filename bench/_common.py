"""Shared helpers of the benchmarks: generated modules, timing with repeats, and the report.

Pipelines are generated as real module source, written to a temporary folder and
imported, so hamilflow and Apache Hamilton both crawl an ordinary module (the way a
user's pipeline reaches them). Every figure is measured several times; the report
gives the minimum (the least disturbed run, the best estimate of the cost itself on a
shared machine) and the median.
"""

from __future__ import annotations

import gc as _gc
import importlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

RESULTS = Path(__file__).resolve().parent / "results"
_TMP = Path(tempfile.mkdtemp(prefix="hamilflow-bench-"))
sys.path.insert(0, str(_TMP))


def load_module(name: str, source: str):
    """Write ``source`` as ``<tmp>/<name>.py`` and import it (a normal, importable module)."""
    (_TMP / f"{name}.py").write_text(source)
    importlib.invalidate_caches()
    sys.modules.pop(name, None)
    return importlib.import_module(name)


class Timing:
    """Seconds of each repeat of one measurement."""

    def __init__(self, seconds: list[float]) -> None:
        self.seconds = seconds

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def as_dict(self, scale: float = 1.0) -> dict[str, float]:
        return {"min": self.min * scale, "median": self.median * scale, "repeats": len(self.seconds)}


def measure(fn: Callable[[], Any], repeat: int, setup: Callable[[], Any] | None = None) -> Timing:
    """Time ``fn()`` ``repeat`` times; ``setup()`` (untimed) runs before each and its result is passed to ``fn``."""
    seconds = []
    for _ in range(repeat):
        arg = setup() if setup is not None else None
        _gc.collect()
        start = time.perf_counter()
        fn(arg) if setup is not None else fn()
        seconds.append(time.perf_counter() - start)
    return Timing(seconds)


def once(fn: Callable[[], Any], gc: bool = True) -> float:
    """Seconds of one call of ``fn()`` (after a garbage collection unless ``gc=False``)."""
    if gc:
        _gc.collect()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpus": os.cpu_count(),
        "load_average": load,
        "hamilflow": version("hamilflow"),
        "apache-hamilton": version("apache-hamilton"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def header(title: str) -> dict[str, Any]:
    info = machine()
    print(f"== {title}")
    print(
        f"   {info['date']} | Python {info['python']} | {info['cpus']} CPUs ({info['processor']}) | "
        f"load {tuple(round(x, 2) for x in info['load_average'] or ())}"
    )
    print(f"   hamilflow {info['hamilflow']} | apache-hamilton {info['apache-hamilton']}")
    return info


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.1f}x"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table (pastes straight into bench/README.md)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths)) + " |"]
    lines.append("| " + " | ".join("-" * w for w in widths) + " |")
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
    return "\n".join(lines)


def save(name: str, data: dict[str, Any], quick: bool = False) -> Path:
    """Write ``data`` to ``bench/results/<name>.json``; smoke runs go to ``<name>-quick.json``."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}{'-quick' if quick else ''}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path
