"""A pipeline configured from a project file: config picks the variant of ``summary``, a param sizes the input."""

from hamilflow.function_modifiers import config


def values(size: int = 3) -> list:
    return list(range(1, size + 1))


@config.when(method="sum")
def summary__sum(values: list) -> int:
    return sum(values)


@config.when(method="max")
def summary__max(values: list) -> int:
    return max(values)
