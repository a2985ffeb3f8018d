"""A @datasaver inside a block: each item writes its own file; the collector gathers the savers' metadata."""

from pathlib import Path

from hamilton.function_modifiers import datasaver
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["manifest"]
WRITES = ["part-0.txt", "part-1.txt", "part-2.txt"]


def _prepare(folder):
    return {"out_dir": str(folder), "parts": ["one", "two", "three"]}


def part(parts: list) -> Parallelizable[tuple]:
    yield from enumerate(parts)


def shouted(part: tuple) -> tuple:
    return part[0], part[1].upper()


@datasaver()
def part_file(shouted: tuple, out_dir: str) -> dict:
    path = Path(out_dir) / f"part-{shouted[0]}.txt"
    path.write_text(shouted[1])
    return {"file": path.name, "chars": len(shouted[1])}


def manifest(part_file: Collect[dict]) -> list:
    return sorted(part_file, key=lambda m: m["file"])
