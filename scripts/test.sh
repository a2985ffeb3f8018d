#!/usr/bin/env bash
# The test suite: unit tests, executors (threads, processes, Dask, Ray), and end-to-end
# runs on a real Airflow 3. Sets up its own virtualenv in .venv with every extra.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh airflow,dask,dev
exec .venv/bin/python -m pytest "$@"
