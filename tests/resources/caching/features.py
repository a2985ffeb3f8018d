"""A small feature pipeline for the cache's tests: every function records that it ran (in the file named by
``HAMILFLOW_TEST_RUNS``, one line per call, from any process), so tests count executions instead of timing."""

from __future__ import annotations

import os

from hamilton.function_modifiers import cache

from hamilflow.htypes import Collect, Parallelizable

SCALE = 10  # a constant the tests change to invalidate what depends on it


def _ran(name: str) -> None:
    with open(os.environ["HAMILFLOW_TEST_RUNS"], "a") as out:
        out.write(name + "\n")


def raw(day: str) -> list:
    _ran("raw")
    return [len(day), int(day[-2:])]


def scaled(raw: list) -> list:
    _ran("scaled")
    return [v * SCALE for v in raw]


def region(scaled: list) -> Parallelizable[int]:
    _ran("region")
    yield from scaled


def region_score(region: int) -> int:
    _ran("region_score")
    return region + 1


def total(region_score: Collect[int]) -> int:
    _ran("total")
    return sum(region_score)


def report(total: int, day: str) -> str:
    _ran("report")
    return f"{day}: {total}"


@cache(behavior="recompute")
def fresh(report: str) -> str:
    _ran("fresh")
    return report.upper()
