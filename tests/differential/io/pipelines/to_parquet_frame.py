"""to.parquet: a frame with several dtypes saved as Parquet."""

import pandas as pd
from hamilton.io.materialization import to

OUTPUTS = ["rows"]
WRITES = ["people.parquet"]


def _prepare(folder):
    return {"names": ["ada", "grace", "linus"]}


def people(names: list) -> pd.DataFrame:
    return pd.DataFrame({"name": names, "length": [len(n) for n in names], "score": [0.5, 1.5, 2.5]})


def rows(people: pd.DataFrame) -> int:
    return len(people)


def _materializers(folder):
    return [to.parquet(id="people_parquet", dependencies=["people"], path=str(folder / "people.parquet"))]
