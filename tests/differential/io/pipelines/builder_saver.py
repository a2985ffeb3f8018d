"""Builder.with_materializers: a saver is a node of the graph, requested by its id with execute()."""

import pandas as pd
from hamilton.io.materialization import to

OUTPUTS = ["saved_summary", "saved_frame", "total"]
WRITES = ["frame.csv", "summary.pkl"]


def _prepare(folder):
    return {"n": 3}


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"v": [i * 2 for i in range(n)]})


def total(frame: pd.DataFrame) -> int:
    return int(frame["v"].sum())


def summary(total: int, frame: pd.DataFrame) -> dict:
    return {"total": total, "rows": len(frame)}


def _builder_materializers(folder):
    return [
        to.pickle(id="saved_summary", dependencies=["summary"], path=str(folder / "summary.pkl")),
        to.csv(id="saved_frame", dependencies=["frame"], path=str(folder / "frame.csv")),
    ]
