"""inject with group(): a list parameter filled from several upstream nodes, on a single node."""

from hamilton.function_modifiers import group, inject, source

OUTPUTS = ["longest"]
INPUTS = {"first": "pear", "second": "banana", "third": "fig"}


@inject(words=group(source("first"), source("second"), source("third")))
def longest(words: list[str]) -> str:
    return max(words, key=len)
