"""Builder.with_materializers with a saver of a collector's value, and a pickle of an item-free node."""

from hamilton.htypes import Collect, Parallelizable
from hamilton.io.materialization import to

OUTPUTS = ["saved_histogram", "histogram", "saved_config"]
WRITES = ["config.pkl", "histogram.json"]


def _prepare(folder):
    return {"values": [1, 3, 3, 7, 1, 3]}


def config(values: list) -> dict:
    return {"buckets": sorted(set(values))}


def value(values: list) -> Parallelizable[int]:
    yield from values


def bucket(value: int) -> str:
    return f"b{value}"


def histogram(bucket: Collect[str]) -> dict:
    found = {}
    for name in bucket:
        found[name] = found.get(name, 0) + 1
    return found


def _builder_materializers(folder):
    return [
        to.json(id="saved_histogram", dependencies=["histogram"], path=str(folder / "histogram.json")),
        to.pickle(id="saved_config", dependencies=["config"], path=str(folder / "config.pkl")),
    ]
