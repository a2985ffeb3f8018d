"""from_.csv: the loaded frame replaces the node it targets; what is downstream reads it."""

import pandas as pd
from hamilton.io.materialization import from_

OUTPUTS = ["summary"]
WRITES = []


def _prepare(folder):
    pd.DataFrame({"a": [10, 20, 30], "b": [1.0, 2.0, 4.0]}).to_csv(folder / "in.csv", index=False)
    return {}


def raw() -> pd.DataFrame:
    raise AssertionError("replaced by the loader: never called")


def summary(raw: pd.DataFrame) -> dict:
    return {"rows": len(raw), "b_total": float(raw["b"].sum()), "columns": list(raw.columns)}


def _materializers(folder):
    return [from_.csv(target="raw", path=str(folder / "in.csv"))]
