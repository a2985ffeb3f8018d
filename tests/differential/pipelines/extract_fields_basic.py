"""extract_fields turns each field of a returned dict into its own typed node."""

from hamilton.function_modifiers import extract_fields

OUTPUTS = ["low", "high", "width"]
INPUTS = {"values": [4, 8, 1, 6]}
AIRFLOW = True


@extract_fields({"low": int, "high": int})
def bounds(values: list) -> dict:
    return {"low": min(values), "high": max(values)}


def width(low: int, high: int) -> int:
    return high - low
