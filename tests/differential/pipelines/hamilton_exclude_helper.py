"""hamilton_exclude keeps a public helper function out of the graph while nodes call it."""

from hamilton.function_modifiers import hamilton_exclude

OUTPUTS = ["cleaned"]
INPUTS = {"raw": "  Mixed Case  "}


@hamilton_exclude
def normalise(text: str) -> str:
    return text.strip().lower()


def cleaned(raw: str) -> str:
    return normalise(raw)
