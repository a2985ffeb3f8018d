"""Functions that record their calls or fail, to observe what the Driver runs."""

CALLS: list[str] = []


class PipelineFailure(Exception):
    """Raised by ``exploding`` when ``explode`` is true."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def raw_data(source: str) -> list[int]:
    CALLS.append("raw_data")
    if source == "forbidden":
        raise RuntimeError("raw_data must not run when cleaned is overridden")
    return [3, 1, 2]


def cleaned(raw_data: list[int]) -> list[int]:
    CALLS.append("cleaned")
    return sorted(raw_data)


def total(cleaned: list[int], bonus: int = 0) -> int:
    CALLS.append("total")
    return sum(cleaned) + bonus


def exploding(total: int, explode: bool = False) -> int:
    CALLS.append("exploding")
    if explode:
        raise PipelineFailure(f"total was {total}", code=total)
    return total
