"""Several unrelated mistakes at once; the graph must report all of them."""


def loop_a(loop_b: int) -> int:
    return loop_b


def loop_b(loop_a: int) -> int:
    return loop_a


def count(x: int) -> int:
    return x


def label(count: str) -> str:  # count produces int
    return count.upper()


def variadic(*values: int) -> int:  # parameters must be named
    return sum(values)
