"""Builder.with_materializers with a loader: the node it targets is loaded whenever it is needed."""

import pandas as pd
from hamilton.io.materialization import from_

OUTPUTS = ["mean_temp", "hottest"]
WRITES = []


def _prepare(folder):
    pd.DataFrame({"city": ["oslo", "rome", "lima"], "temp": [4.0, 19.5, 17.0]}).to_csv(folder / "t.csv", index=False)
    return {}


def temps() -> pd.DataFrame:
    raise AssertionError("replaced by the loader")


def mean_temp(temps: pd.DataFrame) -> float:
    return float(temps["temp"].mean())


def hottest(temps: pd.DataFrame) -> str:
    return str(temps.loc[temps["temp"].idxmax(), "city"])


def _builder_materializers(folder):
    return [from_.csv(target="temps", path=str(folder / "t.csv"))]
