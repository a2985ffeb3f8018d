"""from_.file: a text file read raw, then counted."""

from hamilton.io.materialization import from_

OUTPUTS = ["word_count", "first_line"]
WRITES = []


def _prepare(folder):
    (folder / "poem.txt").write_text("roses are red\nviolets are blue\n")
    return {}


def poem() -> str:
    return ""


def word_count(poem: str) -> int:
    return len(poem.split())


def first_line(poem: str) -> str:
    return poem.splitlines()[0]


def _materializers(folder):
    return [from_.file(target="poem", path=str(folder / "poem.txt"))]
