"""Two mutate transforms on the same function run in the order they are defined."""

from hamilton.function_modifiers import mutate, value

OUTPUTS = ["name"]
INPUTS = {"raw_name": "  ada lovelace "}


def name(raw_name: str) -> str:
    return raw_name


@mutate(name)
def _strip(text: str) -> str:
    return text.strip()


@mutate(name, suffix=value("!"))
def _title(text: str, suffix: str) -> str:
    return text.title() + suffix
