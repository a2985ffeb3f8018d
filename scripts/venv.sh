# Sourced by the other scripts: create .venv if needed and install hamilflow with the
# extras named in $1, skipping pip when the same extras were installed from the same
# pyproject.toml already.
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=".venv/.hamilflow-$(echo "$1" | tr ',' '-')-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[$1]"
    touch "$stamp"
fi
