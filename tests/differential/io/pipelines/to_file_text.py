"""to.file: a string written as a raw file."""

from hamilton.io.materialization import to

OUTPUTS = ["lines"]
WRITES = ["greeting.txt"]


def _prepare(folder):
    return {"names": ["ada", "grace"]}


def greeting(names: list) -> str:
    return "".join(f"hello {name}\n" for name in names)


def lines(greeting: str) -> int:
    return greeting.count("\n")


def _materializers(folder):
    return [to.file(id="greeting_file", dependencies=["greeting"], path=str(folder / "greeting.txt"))]
