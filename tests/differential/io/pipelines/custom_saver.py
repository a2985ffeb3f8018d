"""A DataSaver of our own (tests/differential/io/custom.py), registered with Hamilton: to.jsonlines."""

from hamilton.io.materialization import to

from tests.differential.io import custom  # noqa: F401 - registers the jsonlines saver and loader

OUTPUTS = ["records"]
WRITES = ["records.jsonl"]


def _prepare(folder):
    return {"n": 3}


def records(n: int) -> list:
    return [{"id": i, "square": i * i, "name": f"item-{i}"} for i in range(n)]


def _materializers(folder):
    return [to.jsonlines(id="records_jsonl", dependencies=["records"], path=str(folder / "records.jsonl"))]
