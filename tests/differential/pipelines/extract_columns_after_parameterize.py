"""parameterize makes two DataFrame nodes; extract_columns functions downstream explode each one."""

import pandas as pd
from hamilton.function_modifiers import extract_columns, parameterize, value

OUTPUTS = ["train_x", "train_y", "test_x", "test_y"]
INPUTS = {"rows": [[1, 10], [2, 20], [3, 30], [4, 40]]}


@parameterize(train_frame={"start": value(0), "stop": value(3)}, test_frame={"start": value(3), "stop": value(4)})
def split(rows: list, start: int, stop: int) -> pd.DataFrame:
    return pd.DataFrame(rows[start:stop], columns=["x", "y"]).reset_index(drop=True)


@extract_columns("train_x", "train_y")
def train(train_frame: pd.DataFrame) -> pd.DataFrame:
    return train_frame.rename(columns={"x": "train_x", "y": "train_y"})


@extract_columns("test_x", "test_y")
def test(test_frame: pd.DataFrame) -> pd.DataFrame:
    return test_frame.rename(columns={"x": "test_x", "y": "test_y"})
