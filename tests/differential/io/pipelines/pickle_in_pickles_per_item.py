"""@load_from.pickle before a block, and a @datasaver inside it that pickles each item to its own file."""

import pickle
from pathlib import Path

from hamilton.function_modifiers import datasaver, load_from, source
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["saved_names", "weights"]
WRITES = ["item-a.pkl", "item-b.pkl"]


def _prepare(folder):
    (folder / "weights.pkl").write_bytes(pickle.dumps({"a": 1.5, "b": 2.5}))
    return {"weights_path": str(folder / "weights.pkl"), "out_dir": str(folder)}


@load_from.pickle(path=source("weights_path"))
def weights(loaded: dict) -> dict:
    return dict(loaded)


def entry(weights: dict) -> Parallelizable[tuple]:
    yield from sorted(weights.items())


def doubled(entry: tuple) -> tuple:
    return entry[0], entry[1] * 2


@datasaver()
def item_pickle(doubled: tuple, out_dir: str) -> dict:
    path = Path(out_dir) / f"item-{doubled[0]}.pkl"
    path.write_bytes(pickle.dumps(doubled, protocol=4))
    return {"name": path.name}


def saved_names(item_pickle: Collect[dict]) -> list:
    return [m["name"] for m in item_pickle]
