"""The README's local ``airflow standalone`` recipe is the one ``tests/scheduler/`` runs: they cannot drift apart.

The recipe's ``export`` lines are run by bash (no Airflow starts) and compared with what the
scheduler tests' ``AirflowServer.environment()`` sets: every setting of the recipe must be one
the tested server uses, with the same value where the value is not a place of the user's
choosing; every setting of the server must be in the recipe or in :data:`TEST_ONLY`, with the
reason it is left out. A setting added to the server therefore fails here until it is placed.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.scheduler.conftest import AirflowServer

REPO = Path(__file__).resolve().parents[1]
SECTION = "## Running the compiled DAGs on a local `airflow standalone`"
# The scheduler tests' settings the recipe leaves out, and why.
TEST_ONLY = {
    "AIRFLOW__CORE__PARALLELISM": "a few task processes at a time on the 2-core test machine",
    "AIRFLOW__API__WORKERS": "one api-server worker on the small test machine",
    "AIRFLOW__API__EXPOSE_CONFIG": "False is Airflow's default",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "less parsing while other tests use the CPU",
    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "less parsing while other tests use the CPU",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO is Airflow's default",
    "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": "free ports, so that test suites running at once do not clash",
    "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": "free ports, so that test suites running at once do not clash",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS": "SQLite waits a minute for its lock on a loaded CI machine",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS_ASYNC": "SQLite waits a minute for its lock on a loaded CI machine",
    "PATH": "the recipe activates the virtualenv instead",
    "NO_COLOR": "plain logs for the tests to read",
    "PYTHONUNBUFFERED": "logs written as they happen, for the tests to read",
}
# Settings whose value is a place (a folder, a file) or a secret: compared by what they are, below.
PLACES = {
    "AIRFLOW_HOME",
    "AIRFLOW__CORE__DAGS_FOLDER",
    "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
    "PYTHONPATH",
    "HAMILFLOW_STORE_URL",
    "AIRFLOW__API_AUTH__JWT_SECRET",
}


def _recipe() -> str:
    """The first bash block of the README's section."""
    text = (REPO / "README.md").read_text()
    assert SECTION in text, f"README.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the section has no ```bash block"
    return block.group(1)


def _recipe_settings(recipe: str) -> dict[str, str]:
    """What the recipe's ``export`` lines set, as bash sets them in the repository root."""
    exports = "\n".join(line for line in recipe.splitlines() if line.startswith("export "))
    before = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    done = subprocess.run(
        ["bash", "-c", f"{exports}\nenv -0"], cwd=REPO, env=before, capture_output=True, text=True, check=True
    )
    found = dict(entry.split("=", 1) for entry in done.stdout.split("\0") if "=" in entry)
    names = set(re.findall(r"^export (\w+)=", exports, re.M))
    return {name: found[name] for name in names}


@pytest.fixture
def server_settings(tmp_path, monkeypatch) -> tuple[AirflowServer, dict[str, str]]:
    """What the scheduler tests' server is started with, from an empty environment: only its own settings."""
    for name in list(os.environ):
        monkeypatch.delenv(name)
    server = AirflowServer(tmp_path)
    return server, server.environment()


def test_every_setting_of_the_readme_recipe_is_one_the_scheduler_tests_run_airflow_with(server_settings) -> None:
    server, env = server_settings
    recipe = _recipe_settings(_recipe())

    assert sorted(set(recipe) - set(env)) == [], "the README sets what the tested server does not"
    left_out = set(env) - set(recipe) - set(TEST_ONLY)
    assert sorted(left_out) == [], "the tested server sets what the README leaves out: add it, or to TEST_ONLY"
    assert sorted(set(recipe) & set(TEST_ONLY)) == []

    for name in sorted(set(recipe) - PLACES):  # the same value; the README's port is 8080, the server's a free one
        assert recipe[name].replace("8080", str(server.port)) == env[name], name

    home = Path(recipe["AIRFLOW_HOME"])
    assert home == REPO / ".hamilflow" / "standalone" and Path(env["AIRFLOW_HOME"]) == server.home
    for settings, airflow_home in ((recipe, home), (env, server.home)):
        assert Path(settings["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]) == airflow_home / "passwords.json"
        assert settings["PYTHONPATH"].split(os.pathsep)[0] == str(REPO)  # the pipelines import from the checkout
        assert Path(settings["HAMILFLOW_STORE_URL"]).is_absolute()
        assert len(settings["AIRFLOW__API_AUTH__JWT_SECRET"]) >= 64  # a long random secret, one per start
    # the server's DAGs folder is a copy of airflow_dags/, which the README points at directly
    assert recipe["AIRFLOW__CORE__DAGS_FOLDER"] == str(REPO / "airflow_dags")
    assert Path(env["AIRFLOW__CORE__DAGS_FOLDER"]) == server.dags
    assert '(REPO / "airflow_dags").glob("*.py")' in inspect.getsource(AirflowServer.start)


def test_the_readme_recipe_writes_a_password_for_its_user_and_starts_standalone() -> None:
    recipe = _recipe()
    users = _recipe_settings(recipe)["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"]
    written = re.search(r"echo '(\{.*\})' > \"\$AIRFLOW_HOME/passwords.json\"", recipe)
    assert written, "the recipe writes no passwords file"
    passwords = json.loads(written.group(1))
    assert sorted(passwords) == sorted(user.split(":")[0] for user in users.split(","))
    assert recipe.strip().splitlines()[0] == "source .venv/bin/activate"
    assert recipe.strip().splitlines()[-1] == "airflow standalone"
