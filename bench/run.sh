#!/usr/bin/env bash
# hamilflow's benchmarks, side by side with Apache Hamilton 1.90 and plain Python (see bench/README.md).
#
#   bash bench/run.sh            # full run: a few minutes; figures for the README
#   bash bench/run.sh --quick    # smoke run: fewer repeats and sizes
#   bash bench/run.sh --airflow  # also the Airflow side (issue 11): per-task load, the store, compile and
#                                # parse, dag.test(), and 100 / 1,000 / 10,000 items on `airflow standalone`
#                                # (installs the airflow extra; the scheduler part takes about an hour)
#
# The first run creates bench/.venv with hamilflow (editable, with the dask extra) and
# apache-hamilton==1.90.0 (hamilflow's front end depends on apache-hamilton; the benchmark pins
# the version it compares against). Needs only a Python >= 3.10 with the venv module (PYTHON=... to
# choose one; BENCH_VENV=... to use another environment that already has both installed).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
python="${PYTHON:-$(command -v python3 || command -v python)}"
venv="${BENCH_VENV:-$here/.venv}"
marker="$venv/.hamilflow-bench-installed"

if [ -z "${BENCH_VENV:-}" ] && [ ! -f "$marker" ]; then
    echo "== creating $venv with $("$python" --version 2>&1)"
    if ! "$python" -m venv "$venv"; then
        echo "'$python -m venv' failed. On Debian/Ubuntu: apt-get install python3-venv;" >&2
        echo "or: $python -m pip install virtualenv && $python -m virtualenv $venv" >&2
        exit 1
    fi
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    (cd "$root" && "$venv/bin/python" -m pip install --quiet -e '.[dask,airflow]' 'apache-hamilton==1.90.0')
    touch "$marker"
fi

py="$venv/bin/python"
"$py" -c 'import hamilflow, hamilton' || {
    echo "$venv lacks hamilflow or apache-hamilton; delete it and rerun." >&2
    exit 1
}

mkdir -p "$here/results"
kind=run
latest=latest.txt
case " $* " in *" --quick "*) kind=quick; latest=quick-latest.txt ;; esac  # smoke runs never replace figures
airflow=no
case " $* " in *" --airflow "*) airflow=yes ;; esac
core_args=()
for arg in "$@"; do [ "$arg" = "--airflow" ] || core_args+=("$arg"); done
log="$here/results/$kind-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
    echo "== bash bench/run.sh $* | $(uname -srm) | $(nproc 2>/dev/null || echo '?') CPUs | $(uptime)"
    cd "$root"
    "$py" "$here/bench_core.py" "${core_args[@]}"
    echo
    "$py" "$here/bench_dynamic.py" "${core_args[@]}"
    echo
    "$py" "$here/bench_memory.py" "${core_args[@]}"
    if [ "$airflow" = yes ]; then
        quick=no
        case " $* " in *" --quick "*) quick=yes ;; esac
        echo
        "$py" "$here/bench_load.py" $([ "$quick" = yes ] && echo "--sizes 10,1000 --repeat 2")
        echo
        "$py" "$here/bench_store.py" $([ "$quick" = yes ] && echo "--mb 20 --repeat 2")
        echo
        "$py" "$here/bench_compile.py" $([ "$quick" = yes ] && echo "--sizes 1000 --repeat 1")
        echo
        "$py" "$here/bench_airflow.py"
        echo
        "$py" "$here/bench_scheduler.py" $([ "$quick" = yes ] && echo "--sizes 100")
    fi
} 2>&1 | tee "$log"
cp "$log" "$here/results/$latest"
echo "== results: $log (copied to bench/results/$latest; JSON in bench/results/*.json)"
