"""A pipe_input chain inside a Parallelizable block runs per item (decorators from hamilflow)."""

from hamilton.htypes import Collect, Parallelizable

from hamilflow.function_modifiers import pipe_input, step, value

OUTPUTS = ["slugs"]
INPUTS = {"titles": ["Hello World", "  Data Pipelines ", "Airflow 3"]}
AIRFLOW = True


def title(titles: list) -> Parallelizable[str]:
    yield from titles


def _strip(text: str) -> str:
    return text.strip()


def _replace(text: str, old: str, new: str) -> str:
    return text.replace(old, new)


@pipe_input(step(_strip), step(_replace, old=value(" "), new=value("-")))
def slug(title: str) -> str:
    return title.lower()


def slugs(slug: Collect[str]) -> list:
    return list(slug)
