"""to.json of a dict: Hamilton's JSON saver for plain data."""

from hamilton.io.materialization import to

OUTPUTS = ["summary"]
WRITES = ["summary.json"]


def _prepare(folder):
    return {"words": ["a", "bb", "a", "ccc"]}


def counts(words: list) -> dict:
    found = {}
    for word in words:
        found[word] = found.get(word, 0) + 1
    return found


def summary(counts: dict) -> dict:
    return {"distinct": len(counts), "counts": counts}


def _materializers(folder):
    return [to.json(id="summary_json", dependencies=["summary"], path=str(folder / "summary.json"))]
