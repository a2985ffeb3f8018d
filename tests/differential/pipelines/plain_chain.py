"""A chain of undecorated functions: the baseline every other pipeline builds on."""

OUTPUTS = ["doubled", "described"]
INPUTS = {"x": 4}
AIRFLOW = True


def incremented(x: int) -> int:
    return x + 1


def doubled(incremented: int) -> int:
    return incremented * 2


def described(doubled: int, incremented: int) -> str:
    return f"{incremented} -> {doubled}"
