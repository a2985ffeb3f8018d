"""A real Airflow 3 for the scheduler tests: ``airflow standalone`` driven through the REST API.

One instance serves the whole scheduler suite: package scope, so it starts with the first
scheduler test and stops after the last one instead of idling through the rest of the suite.
It has a SQLite metadata DB and the LocalExecutor in a temporary AIRFLOW_HOME, a copy of
``airflow_dags/`` as its DAGs folder, the repository root on PYTHONPATH so ``examples``
imports, a temporary artifact store (HAMILFLOW_STORE_URL), and a free port on 127.0.0.1.
It is stopped by killing its own process group (and any of its descendants that left the
group), nothing else.

Login: the simple auth manager with one admin user whose password the fixture writes into
the passwords file before Airflow starts (``standalone`` only generates one when the file is
missing); REST calls carry a JWT from ``POST /auth/token``.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv's bin: `airflow` and its subcommands live here
STARTUP_TIMEOUT = float(os.environ.get("HAMILFLOW_STANDALONE_TIMEOUT", "240"))
RUN_TIMEOUT = 240.0  # seconds one DAG run may take on a busy 2-core machine
USER, PASSWORD = "admin", "hamilflow-test-admin"
TERMINAL = {"success", "failed"}


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


class AirflowError(AssertionError):
    """The standalone server did something the test did not expect; the message points at its log."""


class AirflowServer:
    """``airflow standalone`` in its own AIRFLOW_HOME and process group, plus a small REST client."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.dags = root / "dags"
        self.store = root / "store"
        self.log_path = root / "standalone.log"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self._token: str | None = None
        self._descendants: set[int] = set()

    # ------------------------------------------------------------------ lifecycle
    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__PARALLELISM="4",  # a 2-core machine: a few task processes at a time
            AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{USER}:admin",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(self.home / "passwords.json"),
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.base_url}/execution/",
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__API__BASE_URL=self.base_url,
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__API__EXPOSE_CONFIG="False",
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(64),  # one secret for every component
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",  # new files in the DAGs folder show up quickly
            AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="60",
            AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="1",
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
            # The scheduler's and triggerer's log servers: free ports, so that parallel suites do not clash.
            # Airflow binds them on every interface (serve_logs has no host setting); they require a JWT.
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
            AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
            HAMILFLOW_STORE_URL=str(self.store),
            PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
            PATH=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
            NO_COLOR="1",
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> None:
        for folder in (self.home, self.dags, self.store):
            folder.mkdir(parents=True, exist_ok=True)
        for dag_file in sorted((REPO / "airflow_dags").glob("*.py")):
            shutil.copy(dag_file, self.dags / dag_file.name)
        (self.home / "passwords.json").write_text(json.dumps({USER: PASSWORD}) + "\n")
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.process = subprocess.Popen(
            [str(BIN / "airflow"), "standalone"],
            cwd=self.root,
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() kills it and only it
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise AirflowError(
                    f"airflow standalone exited with {self.process.returncode}; {self.log_path}:\n{self.log_tail()}"
                )
            self._remember_descendants()
            if self.healthy():
                return
            if time.monotonic() > deadline:
                raise AirflowError(
                    f"airflow standalone not healthy after {STARTUP_TIMEOUT:.0f} s; {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(2)

    def healthy(self) -> bool:
        """Every component reports healthy on /api/v2/monitor/health (triggerer and dag processor included)."""
        import requests

        try:
            health = requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).json()
        except (requests.RequestException, ValueError):
            return False
        parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
        return all((health.get(p) or {}).get("status") == "healthy" for p in parts)

    def _remember_descendants(self) -> None:
        """Record the server's descendants, so those that leave its process group are stopped too."""
        import psutil

        if self.process is None:
            return
        try:
            self._descendants |= {p.pid for p in psutil.Process(self.process.pid).children(recursive=True)}
        except psutil.Error:
            pass

    def stop(self) -> None:
        """Stop the standalone process group (SIGTERM, then SIGKILL) and its descendants that left the group."""
        import psutil

        if self.process is None:
            return
        self._remember_descendants()
        pgid = self.process.pid  # start_new_session: the group id is the leader's pid
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and self._alive(pgid):
                time.sleep(0.5)
            if not self._alive(pgid):
                break
        self.process.wait(timeout=10)
        for pid in self._descendants:  # task processes run in process groups of their own
            try:
                proc = psutil.Process(pid)
                if proc.environ().get("AIRFLOW_HOME") == str(self.home):  # still ours, not a reused pid
                    proc.kill()
            except (psutil.Error, OSError):
                pass
        self._log.close()
        self.process = None

    def _alive(self, pgid: int) -> bool:
        self.process.poll()  # reap the leader: a zombie would keep its group id alive
        return _group_alive(pgid)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # ------------------------------------------------------------------ REST
    def token(self) -> str:
        import requests

        if self._token is None:
            response = requests.post(
                f"{self.base_url}/auth/token", json={"username": USER, "password": PASSWORD}, timeout=30
            )
            if response.status_code not in (200, 201):
                raise AirflowError(f"POST /auth/token: {response.status_code} {response.text}")
            self._token = response.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        """Call ``/api/v2<path>`` with the JWT; return the JSON body, failing on an unexpected status."""
        import requests

        for attempt in range(10):
            response = requests.request(
                method,
                f"{self.base_url}/api/v2{path}",
                headers={"Authorization": f"Bearer {self.token()}"},
                timeout=60,
                **kwargs,
            )
            if not _database_busy(response) or attempt == 9:
                break
            time.sleep(1 + attempt)
        if response.status_code not in expect:
            raise AirflowError(f"{method} /api/v2{path}: {response.status_code} {response.text[:2000]}")
        return response.json() if response.content else None

    def wait_for_dag(self, dag_id: str, timeout: float = 180) -> dict:
        """Wait until the dag processor has parsed ``dag_id`` (no import error)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.api("GET", f"/dags/{dag_id}", expect=(200, 404))
            if found and found.get("dag_id") == dag_id:
                return found
            errors = self.api("GET", "/importErrors").get("import_errors", [])
            if any(dag_id in (e.get("filename") or "") for e in errors):
                raise AirflowError(f"DAG file of {dag_id} failed to import: {errors}")
            if time.monotonic() > deadline:
                raise AirflowError(f"DAG {dag_id} not parsed after {timeout:.0f} s; see {self.log_path}")
            time.sleep(2)

    def unpause(self, dag_id: str) -> None:
        self.wait_for_dag(dag_id)
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, conf: dict | None = None, run_id: str | None = None, **body: Any) -> str:
        payload = {"logical_date": None, "conf": conf or {}, **body}
        if run_id:
            payload["dag_run_id"] = run_id
        created = self.api("POST", f"/dags/{dag_id}/dagRuns", json=payload, expect=(200, 409) if run_id else (200,))
        if created.get("dag_run_id") == run_id or not run_id:
            return created["dag_run_id"]
        # 409: an earlier attempt of this request did commit before its answer failed; the run must be that one
        existing = self.run(dag_id, run_id)
        if existing.get("conf") != payload["conf"]:
            raise AirflowError(f"run {dag_id}/{run_id} exists already with conf {existing.get('conf')!r}")
        return run_id

    def run(self, dag_id: str, run_id: str) -> dict:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{_quote(run_id)}")

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = RUN_TIMEOUT) -> dict:
        """Poll a run until it finishes; return it, or fail with its task states and the log's tail."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(dag_id, run_id)
            if run["state"] in TERMINAL:
                return run
            if time.monotonic() > deadline:
                states = {(t["task_id"], t["map_index"]): t["state"] for t in self.task_instances(dag_id, run_id)}
                raise AirflowError(
                    f"run {dag_id}/{run_id} still {run['state']} after {timeout:.0f} s; tasks {states}\n"
                    f"{self.log_tail()}"
                )
            time.sleep(2)

    def wait_until(self, condition: Any, what: str, timeout: float = RUN_TIMEOUT) -> None:
        """Poll ``condition()`` every 2 s until it holds; fail naming ``what`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AirflowError(f"timed out after {timeout:.0f} s waiting for {what}\n{self.log_tail()}")
            time.sleep(2)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict]:
        found = self.api("GET", f"/dags/{dag_id}/dagRuns/{_quote(run_id)}/taskInstances", params={"limit": 1000})
        return found["task_instances"]

    def describe(self, dag_id: str, run_id: str) -> str:
        """Task states of a run, for assertion messages."""
        tis = self.task_instances(dag_id, run_id)
        return ", ".join(f"{t['task_id']}[{t['map_index']}]={t['state']}(try {t['try_number']})" for t in tis)


def _database_busy(response: Any) -> bool:
    """An answer that means the metadata DB was busy and nothing was written: worth the same request again.

    SQLite allows one writer at a time; a request that waits past the connection's timeout for the
    scheduler's transaction fails with "database is locked", which the api-server answers with a
    500 ("Database error", its handler for any SQLAlchemy error) or a 503, after rolling back.
    """
    if response.status_code == 503:
        return "locked" in response.text
    return response.status_code == 500 and '"Database error"' in response.text


def _quote(run_id: str) -> str:
    from urllib.parse import quote

    return quote(run_id, safe="")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="package")
def airflow_server(tmp_path_factory: pytest.TempPathFactory):
    """One running ``airflow standalone`` for the whole scheduler suite (tests/scheduler/)."""
    if not (BIN / "airflow").exists():
        pytest.skip(f"apache-airflow is not installed in {BIN} (pip install -e '.[airflow]')")
    server = AirflowServer(tmp_path_factory.mktemp("standalone"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def word_count_run(airflow_server: AirflowServer) -> str:
    """One finished, successful run of ``word_count`` (corpus=classics), triggered through the REST API."""
    airflow_server.unpause("word_count")
    run_id = airflow_server.trigger("word_count", conf={"corpus": "classics"})
    run = airflow_server.wait_for_run("word_count", run_id)
    assert run["state"] == "success", airflow_server.describe("word_count", run_id)
    return run_id
