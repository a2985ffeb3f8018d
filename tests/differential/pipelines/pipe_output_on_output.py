"""step().on_output() applies a pipe_output step to one field of an extract_fields function only."""

from hamilton.function_modifiers import extract_fields, pipe_output, step

OUTPUTS = ["count", "label"]
INPUTS = {"items": ["a", "b", "c"]}


def _double(x: int) -> int:
    return x * 2


def _upper(text: str) -> str:
    return text.upper()


@pipe_output(step(_double).on_output("count"), step(_upper).on_output("label"))
@extract_fields({"count": int, "label": str})
def stats(items: list) -> dict:
    return {"count": len(items), "label": "-".join(items)}
