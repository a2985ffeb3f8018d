"""csv_validate_parquet

Load weather readings from CSV, validate them, and save a daily summary as Parquet.

`readings` is loaded by Hamilton's `@load_from.csv` from the file named by the
`readings_file` input; the function itself only cleans: it trims and lower-cases station
names, drops exact duplicates and rows without a temperature. The columns it checks are nodes
of their own, each with `@check_output`:

- `temperature_c` must be floats between -60 and 60 °C, without NaN (`importance="fail"`:
  a bad file stops the run before anything is saved);
- `humidity_pct` must lie between 0 and 100 (`importance="warn"`: the run logs and goes on).

`summary` aggregates the validated readings per station, and `@save_to.parquet` writes it to
`summary_file`; the saver is a node (`saved_summary`) whose value is what it wrote (path,
size, rows, columns). On Airflow the saver is a task of its own.
"""

import pandas as pd
from hamilton.function_modifiers import check_output, load_from, save_to, source


@load_from.csv(path=source("readings_file"))
def readings(raw: pd.DataFrame) -> pd.DataFrame:
    """The readings, cleaned: station names trimmed and lower-case, duplicates and empty temperatures gone."""
    cleaned = raw.assign(station=raw["station"].str.strip().str.lower())
    cleaned = cleaned.drop_duplicates().dropna(subset=["temperature_c"])
    return cleaned.reset_index(drop=True)


@check_output(data_type=float, range=(-60.0, 60.0), allow_nans=False, importance="fail")
def temperature_c(readings: pd.DataFrame) -> pd.Series:
    """Temperatures in °C: a bad value stops the run."""
    return readings["temperature_c"].astype(float)


@check_output(range=(0.0, 100.0), importance="warn")
def humidity_pct(readings: pd.DataFrame) -> pd.Series:
    """Relative humidity in percent (may be missing): an odd value is only reported."""
    return readings["humidity_pct"].astype(float)


def validated(readings: pd.DataFrame, temperature_c: pd.Series, humidity_pct: pd.Series) -> pd.DataFrame:
    """The readings with their checked columns."""
    return readings.assign(temperature_c=temperature_c, humidity_pct=humidity_pct)


@save_to.parquet(path=source("summary_file"), output_name_="saved_summary")
def summary(validated: pd.DataFrame) -> pd.DataFrame:
    """Per station: days reported, mean, min and max temperature, mean humidity."""
    grouped = validated.groupby("station", sort=True)
    return pd.DataFrame(
        {
            "days": grouped["day"].nunique(),
            "mean_temperature_c": grouped["temperature_c"].mean().round(2),
            "min_temperature_c": grouped["temperature_c"].min(),
            "max_temperature_c": grouped["temperature_c"].max(),
            "mean_humidity_pct": grouped["humidity_pct"].mean().round(1),
        }
    ).reset_index()
