"""to.json of a frame: pandas' JSON writer, with an orient."""

import pandas as pd
from hamilton.io.materialization import to

OUTPUTS = []
WRITES = ["table.json"]


def _prepare(folder):
    return {"n": 3}


def table(n: int) -> pd.DataFrame:
    return pd.DataFrame({"i": list(range(n)), "sq": [i * i for i in range(n)]})


def _materializers(folder):
    return [
        to.json(
            id="table_json", dependencies=["table"], filepath_or_buffer=str(folder / "table.json"), orient="records"
        )
    ]
