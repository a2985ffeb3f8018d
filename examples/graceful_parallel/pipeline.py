"""graceful_parallel

Fetch a forecast per city in parallel, and keep going when some cities fail.

`city` fans out over the cities named in `cities` (a comma-separated list). `forecast`
stands for a call to a weather service: it raises `ForecastUnavailable` for the cities named
in `unavailable`. `warmest_hour` and `summary_line` follow each forecast inside the block, and
`report` collects the lines.

Run alone, the first unavailable city fails the run. Run with Hamilton's
`GracefulErrorAdapter` (`graceful_errors()` below), a `ForecastUnavailable` is caught: the
failed node yields `None`, the nodes after it in that item are skipped and yield `None` too,
and the collector receives `None` for that city while every other city goes through.
`report` lists both, so the run tells which cities are missing.

    from hamilton import driver   # or: from hamilflow import driver
    dr = (driver.Builder().with_modules(pipeline).with_adapters(*pipeline.graceful_errors())
          .enable_dynamic_execution(allow_experimental_mode=True).build())
    dr.execute(["report"], inputs={"cities": "oslo,rome,atlantis", "unavailable": "atlantis"})

On Airflow the DAG is compiled with `--adapter examples.graceful_parallel.pipeline:graceful_errors`,
so each task runs with the adapter: a failed city is a successful mapped instance whose value
is `None`, and the DAG run succeeds.
"""

from hamilton.htypes import Collect, Parallelizable
from hamilton.lifecycle import default


class ForecastUnavailable(Exception):
    """The weather service has no forecast for a city."""


def graceful_errors() -> list:
    """The adapters the pipeline runs with: unavailable forecasts become None instead of failing the run."""
    return [default.GracefulErrorAdapter(error_to_catch=ForecastUnavailable, sentinel_value=None)]


def city(cities: str = "oslo,rome,lima,atlantis,cairo,el dorado") -> Parallelizable[str]:
    """Each city of the comma-separated list."""
    for name in cities.split(","):
        if name.strip():
            yield name.strip()


def forecast(city: str, unavailable: str = "atlantis,el dorado") -> dict:
    """Hourly temperatures for one city, from a (made-up, deterministic) weather service."""
    if city in {name.strip() for name in unavailable.split(",")}:
        raise ForecastUnavailable(f"no forecast for {city}")
    base = sum(ord(c) for c in city) % 25
    return {"city": city, "hourly_c": [base + ((hour * 7 + base) % 11) - 5 for hour in range(24)]}


def warmest_hour(forecast: dict) -> int:
    """The hour of the day with the highest temperature (the first one on a tie)."""
    hourly = forecast["hourly_c"]
    return hourly.index(max(hourly))


def summary_line(forecast: dict, warmest_hour: int) -> str:
    """One line per city."""
    return f"{forecast['city']}: max {max(forecast['hourly_c'])} °C at {warmest_hour:02d}:00"


def report(summary_line: Collect[str]) -> dict:
    """The lines of the cities that have a forecast, and how many have none."""
    lines = list(summary_line)
    return {"lines": [line for line in lines if line is not None], "missing": sum(line is None for line in lines)}
