"""from_.parquet with a column selection, feeding two nodes."""

import pandas as pd
from hamilton.io.materialization import from_

OUTPUTS = ["mean_score", "names"]
WRITES = []


def _prepare(folder):
    frame = pd.DataFrame({"name": ["x", "y", "z"], "score": [1.0, 2.0, 6.0], "unused": [0, 0, 0]})
    frame.to_parquet(folder / "in.parquet")
    return {}


def scores() -> pd.DataFrame:
    raise AssertionError("replaced by the loader")


def mean_score(scores: pd.DataFrame) -> float:
    return float(scores["score"].mean())


def names(scores: pd.DataFrame) -> list:
    return list(scores.columns) + list(scores["name"])


def _materializers(folder):
    return [from_.parquet(target="scores", path=str(folder / "in.parquet"), columns=["name", "score"])]
