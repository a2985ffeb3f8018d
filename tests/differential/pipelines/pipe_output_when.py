"""step().when_not() in pipe_output skips a step under a config value (decorators from hamilflow)."""

from hamilflow.function_modifiers import pipe_output, step

OUTPUTS = ["cleaned"]
INPUTS = {"raw": [3, None, 1, None, 2]}
CONFIG = {"keep_nulls": False}


def _drop_nulls(items: list) -> list:
    return [i for i in items if i is not None]


def _sort(items: list) -> list:
    return sorted(items)


@pipe_output(step(_drop_nulls).when_not(keep_nulls=True), step(_sort).when(keep_nulls=False))
def cleaned(raw: list) -> list:
    return list(raw)
