"""tag_outputs on extract_columns tags each column node and the frame itself (decorators from hamilflow)."""

import pandas as pd

from hamilflow.function_modifiers import extract_columns, tag_outputs

OUTPUTS = ["city", "population", "cities"]


@tag_outputs(city={"kind": "key"}, population={"kind": "measure"}, cities={"kind": "table"})
@extract_columns("city", "population")
def cities() -> pd.DataFrame:
    return pd.DataFrame({"city": ["Oslo", "Rome"], "population": [0.7, 2.8]})
