"""@load_from.jsonlines: a decorator made from our own registered DataLoader."""

import json

from hamilton.function_modifiers import load_from, source

from tests.differential.io import custom  # noqa: F401 - registers the jsonlines saver and loader

OUTPUTS = ["names"]
WRITES = []


def _prepare(folder):
    (folder / "people.jsonl").write_text("".join(json.dumps({"name": n}) + "\n" for n in ("bo", "al", "cy")))
    return {"people_path": str(folder / "people.jsonl")}


@load_from.jsonlines(path=source("people_path"))
def names(people: list) -> list:
    return sorted(p["name"] for p in people)
