"""The Parallelizable function and the collector themselves carry config.when and tag."""

from hamilton.function_modifiers import config, tag
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["lengths"]
INPUTS = {"text": "one two three four"}
CONFIG = {"split_on": "space"}


@tag(role="fan-out")
@config.when(split_on="space")
def token__space(text: str) -> Parallelizable[str]:
    yield from text.split(" ")


@tag(role="fan-out")
@config.when(split_on="letter")
def token__letter(text: str) -> Parallelizable[str]:
    yield from text


def token_length(token: str) -> int:
    return len(token)


@tag(role="fan-in")
def lengths(token_length: Collect[int]) -> list:
    return list(token_length)
