"""@save_to.csv on the node after a collector: the block's result saved once."""

import pandas as pd
from hamilton.function_modifiers import save_to, source
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["table", "table_csv"]
WRITES = ["squares.csv"]


def _prepare(folder):
    return {"n": 4, "out_path": str(folder / "squares.csv")}


def number(n: int) -> Parallelizable[int]:
    yield from range(n)


def square(number: int) -> dict:
    return {"n": number, "square": number * number}


def rows(square: Collect[dict]) -> list:
    return list(square)


@save_to.csv(path=source("out_path"), output_name_="table_csv", index=False)
def table(rows: list) -> pd.DataFrame:
    return pd.DataFrame(rows)
