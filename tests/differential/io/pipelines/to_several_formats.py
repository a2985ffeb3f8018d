"""Several savers in one materialize call: the same frame as CSV, Parquet and pickle, a dict as JSON."""

import pandas as pd
from hamilton.io.materialization import to

OUTPUTS = ["stats"]
WRITES = ["sales.csv", "sales.parquet", "sales.pkl", "stats.json"]


def _prepare(folder):
    return {"amounts": [3.0, 1.0, 4.0, 1.0, 5.0]}


def sales(amounts: list) -> pd.DataFrame:
    return pd.DataFrame({"amount": amounts, "rank": pd.Series(amounts).rank().tolist()})


def stats(sales: pd.DataFrame) -> dict:
    return {"sum": float(sales["amount"].sum()), "max": float(sales["amount"].max())}


def _materializers(folder):
    return [
        to.csv(id="sales_csv", dependencies=["sales"], path=str(folder / "sales.csv")),
        to.parquet(id="sales_parquet", dependencies=["sales"], path=str(folder / "sales.parquet")),
        to.pickle(id="sales_pickle", dependencies=["sales"], path=str(folder / "sales.pkl")),
        to.json(id="stats_json", dependencies=["stats"], path=str(folder / "stats.json")),
    ]
