"""A feature pipeline whose input is loaded from csv and whose features are saved, by Hamilton materializers
that a compiled DAG names by import path (``materializers``, in :mod:`tests.resources.airflow.saving_io`): the
loader replaces the input ``raw``, and each saver becomes a task of the DAG."""

from __future__ import annotations

import pandas as pd


def cleaned(raw: pd.DataFrame) -> pd.DataFrame:
    return raw.dropna().reset_index(drop=True)


def features(cleaned: pd.DataFrame) -> pd.DataFrame:
    return cleaned.assign(total=cleaned["a"] + cleaned["b"])


def summary(features: pd.DataFrame) -> dict:
    return {"rows": len(features), "total": float(features["total"].sum())}
