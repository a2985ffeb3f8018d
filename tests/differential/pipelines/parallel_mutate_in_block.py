"""mutate on a node inside a Parallelizable block transforms each item's value."""

from hamilton.function_modifiers import mutate, value
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["cleaned_words"]
INPUTS = {"words": ["  Apple", "banana  ", " Cherry "]}


def word(words: list) -> Parallelizable[str]:
    yield from words


def cleaned(word: str) -> str:
    return word


def cleaned_words(cleaned: Collect[str]) -> list:
    return list(cleaned)


@mutate(cleaned)
def _strip(text: str) -> str:
    return text.strip()


@mutate(cleaned, case=value("lower"))
def _case(text: str, case: str) -> str:
    return text.lower() if case == "lower" else text.upper()
