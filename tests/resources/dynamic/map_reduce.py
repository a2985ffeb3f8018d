"""The map-reduce of the contract (the seed's "Customizing Execution" page), as written there.

Two typos of the seed are fixed: ``_load(urls)`` reads ``_load(url)``, and ``counts``
returns ``int`` (the seed says ``str``, which its ``Collect[int]`` consumer would refuse).
Pages load in different times so that items finish out of order.
"""

import time

from hamilflow.htypes import Collect, Parallelizable

URLS = [f"https://example.com/page/{i}" for i in range(12)]


def _list_all_urls() -> list[str]:
    return list(URLS)


def _load(url: str) -> str:
    number = int(url.rsplit("/", 1)[1])
    time.sleep(0.002 * (len(URLS) - number))  # earlier pages are slower
    return " ".join(f"w{number}" for _ in range(number + 1))  # page i has i + 1 words


def url() -> Parallelizable[str]:
    for url_ in _list_all_urls():  # noqa: UP028 - as the seed writes it
        yield url_


def url_loaded(url: str) -> str:
    return _load(url)


def counts(url_loaded: str) -> int:
    return len(url_loaded.split(" "))


def total_words(counts: Collect[int]) -> int:
    return sum(counts)
