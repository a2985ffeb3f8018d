"""@datasaver: a function that writes and returns metadata is a saver node."""

import json

from hamilton.function_modifiers import datasaver

OUTPUTS = ["written"]
WRITES = ["scores.json"]


def _prepare(folder):
    return {"out_path": str(folder / "scores.json"), "raw": [3, 1, 2]}


def scores(raw: list) -> list:
    return sorted(raw)


@datasaver()
def written(scores: list, out_path: str) -> dict:
    with open(out_path, "w") as out:
        json.dump(scores, out)
    return {"path": out_path, "count": len(scores)}
