"""Defines ``shared`` ..."""


def shared(x: int) -> int:
    return x


def only_in_a(shared: int) -> int:
    return shared
