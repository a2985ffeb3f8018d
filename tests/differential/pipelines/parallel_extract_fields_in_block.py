"""extract_fields inside a Parallelizable block: each item's fields become per-item nodes."""

from hamilton.function_modifiers import extract_fields
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["summary"]
INPUTS = {"names": ["ada lovelace", "alan turing"]}
AIRFLOW = True


def name(names: list) -> Parallelizable[str]:
    yield from names


@extract_fields({"first": str, "last": str})
def parts(name: str) -> dict:
    first, last = name.split()
    return {"first": first, "last": last}


def initials(first: str, last: str) -> str:
    return (first[0] + last[0]).upper()


def summary(initials: Collect[str]) -> str:
    return ",".join(initials)
