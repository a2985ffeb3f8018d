"""Count the words of a set of documents: the map-reduce of Hamilton's "Customizing Execution" page.

`url` fans out over the documents of a corpus; `url_loaded` and `counts` run once per
document; `total_words` collects the counts. The corpus ships with the example, so it
runs without a network.
"""

from pathlib import Path

from hamilflow.htypes import Collect, Parallelizable

CORPUS = Path(__file__).parent / "corpus"


def url(corpus: str = "classics") -> Parallelizable[str]:
    """Every document of the corpus, as a file URL."""
    for path in sorted((CORPUS / corpus).glob("*.txt")):
        yield path.as_uri()


def url_loaded(url: str) -> str:
    """The text behind one URL."""
    return Path(url.removeprefix("file://")).read_text(encoding="utf-8")


def counts(url_loaded: str) -> int:
    """How many words one document has."""
    return len(url_loaded.split())


def total_words(counts: Collect[int]) -> int:
    """Words across the whole corpus."""
    return sum(counts)
