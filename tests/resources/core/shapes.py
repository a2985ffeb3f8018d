"""Classes with a hierarchy, to check that subclasses feed their bases."""

from typing import Any, Optional, Sequence


class Shape:
    def area(self) -> float:
        return 0.0


class Square(Shape):
    def __init__(self, side: float) -> None:
        self.side = side

    def area(self) -> float:
        return self.side**2


def square(side: float) -> Square:
    return Square(side)


def area(square: Shape) -> float:  # a Square is a Shape
    return square.area()


def anything(area: Any) -> str:
    return str(area)


def maybe_area(area: Optional[float]) -> float:  # noqa: UP045 - the spelling users write
    return area or 0.0


def sides(side: float) -> list[int]:
    return [int(side)] * 4


def perimeter(sides: Sequence[int]) -> int:
    return sum(sides)


def rounded(perimeter: float) -> int:  # an int fits a float
    return round(perimeter)
