"""Blocks inside blocks: a grid (depth 2) and a cube (depth 3).

Grid: ``row`` opens a block; inside it ``cell`` opens another. ``cell_value`` reads both
the cell and its row's item; ``row_values`` collects the cells of one row, inside the
row block, and ``row_total`` runs after it, still once per row. ``grid`` and
``grand_total`` collect the rows.

Cube: ``plane`` > ``line`` > ``point``, each collected inside its parent block; planes
have fewer lines as they go, so an inner block can be empty while its siblings are not.
Earlier items are slower, so items finish out of order at every depth.
"""

import time

from hamilflow.htypes import Collect, Parallelizable


def row(n_rows: int) -> Parallelizable[int]:
    yield from range(n_rows)


def row_label(row: int) -> str:
    return f"r{row}"


def cell(row: int, n_cols: int) -> Parallelizable[int]:
    for col in range(n_cols):
        yield row * 10 + col


def cell_value(cell: int, row_label: str, n_cols: int, delay: float) -> str:
    time.sleep(delay * (n_cols - cell % 10))
    return f"{row_label}c{cell % 10}"


def row_values(cell_value: Collect[str]) -> list[str]:
    return list(cell_value)


def row_total(row_values: list[str], row_label: str) -> str:
    """After a collector, still inside the row block."""
    return f"{row_label}:{len(row_values)}"


def grid(row_values: Collect[list[str]]) -> list[list[str]]:
    return list(row_values)


def grand_total(row_total: Collect[str]) -> list[str]:
    return list(row_total)


def plane(n_planes: int) -> Parallelizable[int]:
    return list(range(n_planes))


def line(plane: int, n_lines: int) -> Parallelizable[tuple[int, int]]:
    """Plane p has ``n_lines - p`` lines: later planes may have none (an empty inner block)."""
    return [(plane, i) for i in range(max(0, n_lines - plane))]


def point(line: tuple[int, int], n_points: int) -> Parallelizable[tuple[int, int, int]]:
    for k in range(n_points):
        yield (*line, k)


def point_code(point: tuple[int, int, int], plane: int, n_points: int, delay: float) -> int:
    time.sleep(delay * (n_points - point[2]))
    assert point[0] == plane
    return point[0] * 100 + point[1] * 10 + point[2]


def line_codes(point_code: Collect[int]) -> list[int]:
    return list(point_code)


def plane_codes(line_codes: Collect[list[int]]) -> list[list[int]]:
    return list(line_codes)


def cube(plane_codes: Collect[list[list[int]]]) -> list[list[list[int]]]:
    return list(plane_codes)
