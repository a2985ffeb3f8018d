"""Three levels of blocks: plane > line > point, each collected inside its parent block.

Plane p has ``n_lines - p`` lines, so the last planes have none: an empty inner block
next to non-empty siblings. ``point_code`` reads its plane's item from two levels up.
"""

from hamilflow.htypes import Collect, Parallelizable


def plane(n_planes: int = 3) -> Parallelizable[int]:
    return list(range(n_planes))


def line(plane: int, n_lines: int = 2) -> Parallelizable[list]:
    """Plane p has ``n_lines - p`` lines."""
    return [[plane, i] for i in range(max(0, n_lines - plane))]


def point(line: list, n_points: int = 2) -> Parallelizable[list]:
    for k in range(n_points):
        yield [*line, k]


def point_code(point: list, plane: int) -> int:
    assert point[0] == plane
    return point[0] * 100 + point[1] * 10 + point[2]


def line_codes(point_code: Collect[int]) -> list:
    return list(point_code)


def plane_codes(line_codes: Collect[list]) -> list:
    return list(line_codes)


def cube(plane_codes: Collect[list]) -> list:
    return list(plane_codes)
