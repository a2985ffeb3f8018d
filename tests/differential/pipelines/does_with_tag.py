"""does on a tagged function: the replacement body runs and the tags stay on the node."""

from hamilton.function_modifiers import does, tag

OUTPUTS = ["largest"]
INPUTS = {"first_value": 4, "second_value": 11}
AIRFLOW = True


def _maximum(**values: int) -> int:
    return max(values.values())


@tag(kind="aggregate")
@does(_maximum)
def largest(first_value: int, second_value: int) -> int:
    pass
