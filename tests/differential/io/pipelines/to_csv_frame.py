"""to.csv: a frame saved as CSV by Driver.materialize, with another output beside it."""

import pandas as pd
from hamilton.io.materialization import to

OUTPUTS = ["total"]
WRITES = ["scaled.csv"]


def _prepare(folder):
    return {"n": 4}


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"a": list(range(n)), "b": [1.5 * i for i in range(n)]})


def scaled(frame: pd.DataFrame) -> pd.DataFrame:
    return frame * 10


def total(scaled: pd.DataFrame) -> float:
    return float(scaled["b"].sum())


def _materializers(folder):
    return [to.csv(id="scaled_csv", dependencies=["scaled"], path=str(folder / "scaled.csv"))]
