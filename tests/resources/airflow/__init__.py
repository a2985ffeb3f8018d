"""Pipelines compiled and run on Airflow by tests/airflow (importable: compiled DAG files import them by path)."""
