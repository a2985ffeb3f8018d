"""schema.output and tag on the same function: both sets of tags land on the node."""

import pandas as pd
from hamilton.function_modifiers import schema, tag

OUTPUTS = ["inventory"]
INPUTS = {"skus": ["a1", "b2"]}


@tag(domain="warehouse")
@schema.output(("sku", "str"), ("stock", "int"))
def inventory(skus: list) -> pd.DataFrame:
    return pd.DataFrame({"sku": skus, "stock": [5] * len(skus)})
