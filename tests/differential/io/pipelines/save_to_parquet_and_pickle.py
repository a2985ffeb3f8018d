"""@save_to.parquet (with a value() option: gzip) on one node and @save_to.pickle on the next."""

import pandas as pd
from hamilton.function_modifiers import save_to, source, value

OUTPUTS = ["table_parquet", "summary_pickle", "summary"]
WRITES = ["summary.pkl", "table.parquet"]


def _prepare(folder):
    return {"parquet_path": str(folder / "table.parquet"), "pickle_path": str(folder / "summary.pkl")}


@save_to.parquet(path=source("parquet_path"), output_name_="table_parquet", compression=value("gzip"))
def table() -> pd.DataFrame:
    return pd.DataFrame({"k": ["a", "b"], "v": [1.5, 2.5]})


@save_to.pickle(path=source("pickle_path"), output_name_="summary_pickle")
def summary(table: pd.DataFrame) -> dict:
    return {"keys": list(table["k"]), "sum": float(table["v"].sum())}
