"""from_.pickle: a pickled object replaces a node, with an input still given."""

import pickle

from hamilton.io.materialization import from_

OUTPUTS = ["prediction"]
WRITES = []


def _prepare(folder):
    (folder / "model.pkl").write_bytes(pickle.dumps({"slope": 2.0, "intercept": 0.5}))
    return {"x": 3.0}


def model() -> dict:
    raise AssertionError("replaced by the loader")


def prediction(model: dict, x: float) -> float:
    return model["slope"] * x + model["intercept"]


def _materializers(folder):
    return [from_.pickle(target="model", path=str(folder / "model.pkl"))]
