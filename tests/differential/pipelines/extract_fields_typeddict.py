"""extract_fields without arguments reads the fields from a TypedDict return annotation."""

from typing import TypedDict

from hamilton.function_modifiers import extract_fields

OUTPUTS = ["first", "last", "person"]
INPUTS = {"full_name": "Grace Brewster Hopper"}


class _Name(TypedDict):
    first: str
    last: str


@extract_fields()
def person(full_name: str) -> _Name:
    parts = full_name.split()
    return {"first": parts[0], "last": parts[-1]}
