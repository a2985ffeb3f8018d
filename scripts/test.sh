#!/usr/bin/env bash
# The test suite: unit tests, executors (threads, processes, Dask, Ray), end-to-end runs on a
# real Airflow 3 (dag.test() and `airflow standalone`), the docker-compose file and the UI in a
# headless browser. Sets up its own virtualenv in .venv with every extra, and (as root, with
# apt) the system packages the browser and compose tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
source scripts/venv.sh airflow,distributed,lineage,dask,ray,dev
exec .venv/bin/python -m pytest "$@"
