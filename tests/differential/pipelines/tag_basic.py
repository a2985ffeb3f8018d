"""tag attaches string metadata to a node without changing its value."""

from hamilton.function_modifiers import tag

OUTPUTS = ["revenue"]
INPUTS = {"units": 3, "unit_price": 2.5}
AIRFLOW = True


@tag(owner="finance", pii="false", stage="gold")
def revenue(units: int, unit_price: float) -> float:
    return units * unit_price
