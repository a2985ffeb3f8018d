"""Two functions that need each other, plus a healthy one."""


def a(b: int) -> int:
    return b + 1


def b(a: int) -> int:
    return a + 1


def c(x: int) -> int:
    return x
