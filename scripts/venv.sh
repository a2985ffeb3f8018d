# Sourced by the other scripts: create .venv if needed and install hamilflow with the
# extras named in $1, skipping pip when the same extras were installed from the same
# pyproject.toml already.
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=".venv/.hamilflow-$(echo "$1" | tr ',' '-')-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    # pip's output goes to a log, shown only when the install fails
    if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e ".[$1]"; } > .venv/pip.log 2>&1; then
        cat .venv/pip.log >&2
        echo "installing hamilflow[$1] failed (log above, also in .venv/pip.log)" >&2
        exit 1
    fi
    touch "$stamp"
fi
