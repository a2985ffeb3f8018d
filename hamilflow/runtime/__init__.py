"""Runtime support for hamilflow tasks running inside Airflow."""
