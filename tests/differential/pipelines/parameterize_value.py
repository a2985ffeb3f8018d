"""parameterize with value(): one function becomes several nodes, each with its own literal argument."""

from hamilton.function_modifiers import parameterize, value

OUTPUTS = ["tax_low", "tax_high"]
INPUTS = {"income": 1000.0}
AIRFLOW = True


@parameterize(tax_low={"rate": value(0.1)}, tax_high={"rate": value(0.4)})
def tax(income: float, rate: float) -> float:
    return income * rate
