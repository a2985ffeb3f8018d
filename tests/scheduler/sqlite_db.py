"""Connection settings of the test deployments' SQLite metadata DB, named by import path in
``AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS`` (Airflow reads that setting as an import path).

``timeout`` is how long a connection waits for SQLite's single write lock before it fails with
"database is locked". Each setting is a fresh dict: Airflow adds keys to the sync one.
"""

from __future__ import annotations

CONNECT_ARGS: dict[str, object] = {"timeout": 60}
CONNECT_ARGS_ASYNC: dict[str, object] = {"timeout": 60}
