"""One materialize call that loads CSV, transforms, and saves Parquet and pickle."""

import pandas as pd
from hamilton.io.materialization import from_, to

OUTPUTS = ["row_count"]
WRITES = ["clean.parquet", "clean.pkl"]


def _prepare(folder):
    pd.DataFrame({"city": ["a", "b", None, "a"], "temp": [10.5, None, 3.0, 12.0]}).to_csv(
        folder / "raw.csv", index=False
    )
    return {}


def raw() -> pd.DataFrame:
    raise AssertionError("replaced by the loader")


def clean(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.dropna().reset_index(drop=True)


def row_count(clean: pd.DataFrame) -> int:
    return len(clean)


def _materializers(folder):
    return [
        from_.csv(target="raw", path=str(folder / "raw.csv")),
        to.parquet(id="clean_parquet", dependencies=["clean"], path=str(folder / "clean.parquet")),
        to.pickle(id="clean_pickle", dependencies=["clean"], path=str(folder / "clean.pkl")),
    ]
