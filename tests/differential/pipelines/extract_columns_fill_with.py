"""extract_columns with fill_with: a column missing from the frame is filled with the value given."""

import pandas as pd
from hamilton.function_modifiers import extract_columns

OUTPUTS = ["present", "absent"]


@extract_columns("present", "absent", fill_with=0)
def frame() -> pd.DataFrame:
    return pd.DataFrame({"present": [1, 2, 3]})
