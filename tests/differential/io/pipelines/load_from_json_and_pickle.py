"""@load_from.json and @load_from.pickle on one function, each injected into its own parameter."""

import json
import pickle

from hamilton.function_modifiers import load_from, source

OUTPUTS = ["scored"]
WRITES = []


def _prepare(folder):
    (folder / "weights.json").write_text(json.dumps({"a": 2, "b": 3}))
    (folder / "items.pkl").write_bytes(pickle.dumps(["a", "b", "a"]))
    return {"weights_path": str(folder / "weights.json"), "items_path": str(folder / "items.pkl")}


@load_from.json(path=source("weights_path"), inject_="weights")
@load_from.pickle(path=source("items_path"), inject_="items")
def scored(weights: dict, items: list) -> int:
    return sum(weights[i] for i in items)
