"""A DataSaver and a DataLoader of our own, registered with Hamilton as ``jsonlines``.

A Hamilton user extends the I/O registry this way; once registered, ``to.jsonlines``,
``from_.jsonlines``, ``@save_to.jsonlines`` and ``@load_from.jsonlines`` exist, on Hamilton
and therefore on hamilflow. Importing this module registers them (once: registering again
replaces nothing).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hamilton import registry
from hamilton.io.data_adapters import DataLoader, DataSaver


@dataclasses.dataclass
class JsonLinesSaver(DataSaver):
    """Writes a list of records, one JSON object a line; the metadata counts them."""

    path: str
    sort_keys: bool = True

    @classmethod
    def applicable_types(cls) -> list[type]:
        return [list]

    @classmethod
    def name(cls) -> str:
        return "jsonlines"

    def save_data(self, data: list) -> dict[str, Any]:
        lines = [json.dumps(record, sort_keys=self.sort_keys) for record in data]
        Path(self.path).write_text("".join(line + "\n" for line in lines))
        return {"records": len(lines), "file": Path(self.path).name}


@dataclasses.dataclass
class JsonLinesLoader(DataLoader):
    """Reads the records back, one per line; the metadata counts them and names the file."""

    path: str

    @classmethod
    def applicable_types(cls) -> list[type]:
        return [list]

    @classmethod
    def name(cls) -> str:
        return "jsonlines"

    def load_data(self, type_: type) -> tuple[list, dict[str, Any]]:
        records = [json.loads(line) for line in Path(self.path).read_text().splitlines() if line]
        return records, {"records": len(records), "file": Path(self.path).name}


if JsonLinesSaver not in registry.SAVER_REGISTRY.get("jsonlines", []):
    registry.register_adapter(JsonLinesSaver)
if JsonLinesLoader not in registry.LOADER_REGISTRY.get("jsonlines", []):
    registry.register_adapter(JsonLinesLoader)
