"""to.csv of two series combined into one frame by a result builder."""

import pandas as pd
from hamilton import base
from hamilton.io.materialization import to

OUTPUTS = []
WRITES = ["columns.csv"]


def _prepare(folder):
    return {"n": 5}


def index_values(n: int) -> pd.Series:
    return pd.Series(range(n), name="index_values")


def halves(index_values: pd.Series) -> pd.Series:
    return index_values / 2


def _materializers(folder):
    return [
        to.csv(
            id="columns_csv", dependencies=["index_values", "halves"], path=str(folder / "columns.csv"),
            combine=base.PandasDataFrameResult(),
        )
    ]  # fmt: skip
