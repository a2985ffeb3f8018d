"""A small pipeline for adapters inside compiled DAGs (``test_on_airflow.py``): a chain, a tagged node a
validator may refuse, and a node whose value is not of its declared type."""

from hamilton.function_modifiers import tag


def doubled(x: int) -> int:
    return x * 2


@tag(owner="data", refuse="yes")
def shifted(doubled: int, offset: int = 3) -> int:
    return doubled + offset


def label(shifted: int) -> str:
    return f"value={shifted}"


def lies(x: int) -> str:
    return x  # an int, declared str: FunctionInputOutputTypeChecker refuses it
