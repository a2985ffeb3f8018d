"""to.pickle of a nested Python object."""

from hamilton.io.materialization import to

OUTPUTS = ["model"]
WRITES = ["model.pkl"]


def _prepare(folder):
    return {"xs": [1.0, 2.0, 3.0], "ys": [2.0, 4.1, 5.9]}


def model(xs: list, ys: list) -> dict:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return {"slope": round(slope, 6), "intercept": round(my - slope * mx, 6), "points": list(zip(xs, ys))}


def _materializers(folder):
    return [to.pickle(id="model_pickle", dependencies=["model"], path=str(folder / "model.pkl"))]
