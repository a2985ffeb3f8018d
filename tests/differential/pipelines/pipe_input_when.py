"""step().when() applies a pipe_input step only when the config matches."""

from hamilton.function_modifiers import pipe_input, step

OUTPUTS = ["price"]
INPUTS = {"base_price": 100.0}
CONFIG = {"sale": True, "region": "us"}


def _discount(amount: float) -> float:
    return amount * 0.5


def _vat(amount: float) -> float:
    return amount * 1.2


@pipe_input(step(_discount).when(sale=True), step(_vat).when(region="eu"))
def price(base_price: float) -> float:
    return round(base_price, 2)
