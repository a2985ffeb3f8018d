"""@save_to.jsonlines: a decorator made from our own registered DataSaver."""

from hamilton.function_modifiers import save_to, source

from tests.differential.io import custom  # noqa: F401 - registers the jsonlines saver and loader

OUTPUTS = ["rows_jsonl"]
WRITES = ["rows.jsonl"]


def _prepare(folder):
    return {"rows_path": str(folder / "rows.jsonl"), "n": 4}


@save_to.jsonlines(path=source("rows_path"), output_name_="rows_jsonl")
def rows(n: int) -> list:
    return [{"n": i, "even": i % 2 == 0} for i in range(n)]
