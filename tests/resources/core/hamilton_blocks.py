"""A module written for Apache Hamilton: Parallelizable/Collect come from hamilton.htypes."""

from hamilton.htypes import Collect, Parallelizable


def url(urls: list[str]) -> Parallelizable[str]:
    yield from urls


def url_length(url: str) -> int:
    return len(url)


def total_length(url_length: Collect[int]) -> int:
    return sum(url_length)
