"""@dataloader feeds an expander: the loaded list fans out, a node per item, a collector after."""

import json

from hamilton.function_modifiers import dataloader
from hamilton.htypes import Collect, Parallelizable

OUTPUTS = ["lengths"]
WRITES = []


def _prepare(folder):
    (folder / "docs.json").write_text(json.dumps(["alpha beta", "gamma", "delta epsilon zeta"]))
    return {"docs_path": str(folder / "docs.json")}


@dataloader()
def documents(docs_path: str) -> tuple[list, dict]:
    with open(docs_path) as source_file:
        docs = json.load(source_file)
    return docs, {"documents": len(docs)}


def document(documents: list) -> Parallelizable[str]:
    yield from documents


def words(document: str) -> int:
    return len(document.split())


def lengths(words: Collect[int]) -> list:
    return list(words)
