"""pipe_output runs a chain of step() transforms on a function's result."""

from hamilton.function_modifiers import pipe_output, step, value

OUTPUTS = ["words"]
INPUTS = {"sentence": "the quick brown fox"}
AIRFLOW = True


def _sorted(items: list) -> list:
    return sorted(items)


def _first(items: list, n: int) -> list:
    return items[:n]


@pipe_output(step(_sorted), step(_first, n=value(3)))
def words(sentence: str) -> list:
    return sentence.split()
