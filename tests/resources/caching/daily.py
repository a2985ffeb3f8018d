"""A daily feature pipeline for the cache on Airflow: it reads the run's ``ds``; every function records that it
ran (``HAMILFLOW_TEST_RUNS``). ``tests/airflow/test_caching.py`` edits a copy of this file between backfills."""

from __future__ import annotations

import os

from hamilflow.htypes import Collect, Parallelizable

WINDOW = 3


def _ran(name: str) -> None:
    with open(os.environ["HAMILFLOW_TEST_RUNS"], "a") as out:
        out.write(name + "\n")


def day_of_month(ds: str) -> int:
    _ran("day_of_month")
    return int(ds[-2:])


def store(day_of_month: int) -> Parallelizable[int]:
    _ran("store")
    yield from range(day_of_month % WINDOW + 2)


def store_sales(store: int, day_of_month: int) -> int:
    _ran("store_sales")
    return store * day_of_month


def daily_total(store_sales: Collect[int]) -> int:
    _ran("daily_total")
    return sum(store_sales)


def feature(daily_total: int) -> float:
    _ran("feature")
    return daily_total / 10
