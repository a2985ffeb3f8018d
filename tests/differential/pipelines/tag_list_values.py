"""tag accepts lists of strings as values, and several tag decorators stack."""

from hamilton.function_modifiers import tag

OUTPUTS = ["report"]
INPUTS = {"rows": 12}


@tag(owners=["alice", "bob"])
@tag(kind="report")
def report(rows: int) -> str:
    return f"{rows} rows"
