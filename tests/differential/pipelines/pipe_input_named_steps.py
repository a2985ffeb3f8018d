"""step().named() gives pipe_input's intermediate nodes stable names, with or without a namespace."""

from hamilton.function_modifiers import pipe_input, step

OUTPUTS = ["final", "stripped", "final.lowered"]
INPUTS = {"text": "  Some TEXT  "}
AIRFLOW = True


def _strip(text: str) -> str:
    return text.strip()


def _lower(text: str) -> str:
    return text.lower()


@pipe_input(step(_strip).named("stripped", namespace=None), step(_lower).named("lowered"))
def final(text: str) -> str:
    return f"[{text}]"
