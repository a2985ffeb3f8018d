"""from_.json: a dict read from JSON replaces a settings node."""

import json

from hamilton.io.materialization import from_

OUTPUTS = ["threshold", "enabled"]
WRITES = []


def _prepare(folder):
    (folder / "settings.json").write_text(json.dumps({"threshold": 0.75, "features": ["a", "b"]}))
    return {}


def settings() -> dict:
    return {"threshold": 0.0, "features": []}


def threshold(settings: dict) -> float:
    return settings["threshold"]


def enabled(settings: dict) -> list:
    return sorted(settings["features"])


def _materializers(folder):
    return [from_.json(target="settings", path=str(folder / "settings.json"))]
