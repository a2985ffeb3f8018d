"""@load_from.parquet with inject_: the loaded frame goes to a named parameter, another input beside it."""

import pandas as pd
from hamilton.function_modifiers import load_from, source

OUTPUTS = ["above"]
WRITES = []


def _prepare(folder):
    pd.DataFrame({"v": [1, 5, 9, 2]}).to_parquet(folder / "v.parquet")
    return {"path": str(folder / "v.parquet"), "limit": 3}


@load_from.parquet(path=source("path"), inject_="frame")
def above(frame: pd.DataFrame, limit: int) -> list:
    return frame.loc[frame["v"] > limit, "v"].tolist()
