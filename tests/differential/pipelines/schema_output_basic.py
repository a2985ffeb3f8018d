"""schema.output records a DataFrame's columns and types as tags on its node."""

import pandas as pd
from hamilton.function_modifiers import schema

OUTPUTS = ["orders"]


@schema.output(("order_id", "int"), ("amount", "float"))
def orders() -> pd.DataFrame:
    return pd.DataFrame({"order_id": [1, 2, 3], "amount": [9.5, 3.0, 12.25]})
