"""Each test worker's name, as Airflow records it on the task instances it runs.

The two Celery workers of the distributed suite run on one machine, so Airflow's default
``[core] hostname_callable`` (the machine's FQDN) would give both the same name. Each worker
sets ``HAMILFLOW_WORKER_NAME`` and points ``hostname_callable`` here, as two machines would
differ by their host names.
"""

from __future__ import annotations

import os
import socket


def worker_name() -> str:
    """``$HAMILFLOW_WORKER_NAME``, else the machine's FQDN (Airflow's default)."""
    return os.environ.get("HAMILFLOW_WORKER_NAME") or socket.getfqdn()
