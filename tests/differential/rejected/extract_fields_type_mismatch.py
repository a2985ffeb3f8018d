"""A field declared int by extract_fields feeds a parameter annotated str: the graph fails its type check."""

from hamilton.function_modifiers import extract_fields

OUTPUTS = ["shout"]
ERROR = "ValueError"
SAME_ERROR = False


@extract_fields({"count": int, "name": str})
def record() -> dict:
    return {"count": 1, "name": "a"}


def shout(count: str) -> str:
    return count.upper()
