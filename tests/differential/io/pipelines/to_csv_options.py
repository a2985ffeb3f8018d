"""to.csv with writer options: separator, no index, a float format."""

import pandas as pd
from hamilton.io.materialization import to

OUTPUTS = []
WRITES = ["report.csv"]


def _prepare(folder):
    return {"prices": [1.0, 2.25, 3.125]}


def report(prices: list) -> pd.DataFrame:
    return pd.DataFrame({"price": prices, "with_tax": [p * 1.2 for p in prices]})


def _materializers(folder):
    return [
        to.csv(
            id="report_csv", dependencies=["report"], path=str(folder / "report.csv"), sep=";", index=False,
            float_format="%.2f",
        )
    ]  # fmt: skip
