"""A block whose items are packed into chunks, and one whose expander asks for one item per instance."""

from hamilflow.function_modifiers import tag
from hamilflow.htypes import Collect, Parallelizable


def segment(segments: list = ["smb", "mid", "large", "public", "edu", "partner"]) -> Parallelizable[str]:  # noqa: B006
    """Customer segments: light items, packed."""
    yield from segments


def revenue(segment: str) -> int:
    return 10 * len(segment)


def revenues(revenue: Collect[int]) -> list:
    return list(revenue)


@tag(airflow_items_per_task="1")
def model(models: int = 3) -> Parallelizable[int]:
    """Heavy items that retry alone: one per mapped instance."""
    yield from range(models)


def fitted(model: int) -> int:
    return model * model


def fits(fitted: Collect[int]) -> list:
    return list(fitted)
