"""unpack_fields turns each element of a returned tuple into its own node (decorators from hamilflow)."""

from hamilflow.function_modifiers import unpack_fields

OUTPUTS = ["quotient", "remainder"]
INPUTS = {"dividend": 17, "divisor": 5}
AIRFLOW = True


@unpack_fields("quotient", "remainder")
def division(dividend: int, divisor: int) -> tuple[int, int]:
    return divmod(dividend, divisor)
