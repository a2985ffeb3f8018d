"""... and so does this module."""


def shared(x: int) -> int:
    return x + 1
