"""A module with string annotations (PEP 563)."""

from __future__ import annotations

import pandas as pd

from hamilflow.htypes import Collect, Parallelizable


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"v": list(range(n))})


def column(frame: pd.DataFrame) -> pd.Series:
    return frame["v"]


def maybe(column: pd.Series, offset: int | None = None) -> pd.Series:
    return column + (offset or 0)


def rows(frame: pd.DataFrame) -> Parallelizable[int]:
    yield from frame["v"]


def squared(rows: int) -> int:
    return rows * rows


def sum_of_squares(squared: Collect[int]) -> int:
    return sum(squared)
