#!/usr/bin/env bash
# The main job: compile examples/word_count into an Airflow 3 DAG and run it on an
# embedded Airflow (SQLite metadata DB in .hamilflow/airflow), printing its outputs.
# Sets up everything it needs: a virtualenv in .venv and hamilflow with its Airflow extra.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh airflow
exec .venv/bin/hamilflow demo "$@"
