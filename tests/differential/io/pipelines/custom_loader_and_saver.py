"""Our own DataLoader and DataSaver in one call: from_.jsonlines in, to.jsonlines out."""

import json

from hamilton.io.materialization import from_, to

from tests.differential.io import custom  # noqa: F401 - registers the jsonlines saver and loader

OUTPUTS = ["kept"]
WRITES = ["kept.jsonl"]


def _prepare(folder):
    rows = [{"id": 1, "ok": True}, {"id": 2, "ok": False}, {"id": 3, "ok": True}]
    (folder / "events.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {}


def events() -> list:
    raise AssertionError("replaced by the loader")


def kept(events: list) -> list:
    return [e for e in events if e["ok"]]


def _materializers(folder):
    return [
        from_.jsonlines(target="events", path=str(folder / "events.jsonl")),
        to.jsonlines(id="kept_jsonl", dependencies=["kept"], path=str(folder / "kept.jsonl"), sort_keys=False),
    ]
