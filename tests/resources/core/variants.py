"""Implementations chosen by config, and tagged nodes."""

from hamilflow.function_modifiers import config, tag


@config.when(mode="fast")
def score__fast(x: int) -> int:
    return x


@config.when_not(mode="fast")
def score__exact(x: int) -> int:
    return x * 10


@config.when_in(region=["eu", "uk"])
def vat__europe() -> float:
    return 0.2


@config.when_not_in(region=["eu", "uk"])
def vat__elsewhere() -> float:
    return 0.0


@tag(owner="pricing", pii="false", airflow_retries="2")
def price(score: int, vat: float) -> float:
    """The score with VAT on top."""
    return score * (1 + vat)


@tag(team="ml")
@config.when(mode="fast", debug=True)
def debug_info__fast(score: int) -> str:
    return f"fast score {score}"
