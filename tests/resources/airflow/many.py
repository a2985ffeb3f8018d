"""More items than Airflow's max_map_length: a flat block and a nested one."""

from hamilflow.htypes import Collect, Parallelizable


def item(n_items: int = 10) -> Parallelizable[int]:
    yield from range(n_items)


def square(item: int) -> int:
    return item * item


def squares(square: Collect[int]) -> list:
    return list(square)


def group(n_groups: int = 3) -> Parallelizable[str]:
    return [f"g{i}" for i in range(n_groups)]


def member(group: str, n_members: int = 4) -> Parallelizable[str]:
    return [f"{group}m{j}" for j in range(n_members)]


def member_value(member: str, group: str) -> str:
    return f"{group}:{member.upper()}"


def group_values(member_value: Collect[str]) -> list:
    return list(member_value)


def grid(group_values: Collect[list]) -> list:
    return list(group_values)
