"""After extract_columns the DataFrame itself is still a node that can be requested and consumed."""

import pandas as pd
from hamilton.function_modifiers import extract_columns

OUTPUTS = ["scores", "best", "row_count"]
INPUTS = {"names": ["ann", "bo", "cy"]}


@extract_columns("name", "points")
def scores(names: list) -> pd.DataFrame:
    return pd.DataFrame({"name": names, "points": [len(n) * 10 for n in names]})


def best(name: pd.Series, points: pd.Series) -> str:
    return name[points.idxmax()]


def row_count(scores: pd.DataFrame) -> int:
    return len(scores)
