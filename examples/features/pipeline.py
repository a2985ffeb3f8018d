"""Daily user features from an event log, computed for one data interval.

`data_interval_start` comes from the Airflow run, so a backfill over past dates
computes each day's features from that day's events. The events are generated
deterministically from the date, standing in for a warehouse query.
"""

import datetime
import random

import pandas as pd

USERS = ["ada", "grace", "linus", "margaret"]


def events(data_interval_start: datetime.datetime, events_per_day: int = 40) -> pd.DataFrame:
    """The day's raw events (user, amount), seeded by the date so reruns agree."""
    day = data_interval_start.date()
    rng = random.Random(day.toordinal())
    rows = [(rng.choice(USERS), round(rng.uniform(1, 100), 2)) for _ in range(events_per_day)]
    return pd.DataFrame(rows, columns=["user", "amount"]).assign(day=pd.Timestamp(day))


def spend(events: pd.DataFrame) -> pd.Series:
    """Total spend per user for the day."""
    return events.groupby("user")["amount"].sum().reindex(USERS, fill_value=0.0)


def visits(events: pd.DataFrame) -> pd.Series:
    """Number of events per user for the day."""
    return events.groupby("user").size().reindex(USERS, fill_value=0)


def average_spend(spend: pd.Series, visits: pd.Series) -> pd.Series:
    """Mean amount per event, 0 for users who did not show up."""
    return (spend / visits.where(visits > 0)).fillna(0.0)


def features(spend: pd.Series, visits: pd.Series, average_spend: pd.Series, events: pd.DataFrame) -> pd.DataFrame:
    """One row per user: the feature table of the day."""
    table = pd.DataFrame({"spend": spend, "visits": visits, "average_spend": average_spend})
    return table.assign(day=events["day"].iloc[0] if len(events) else pd.NaT)
