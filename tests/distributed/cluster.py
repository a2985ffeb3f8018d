"""A small Airflow 3 deployment on loopback: CeleryExecutor, a Redis broker, two workers, artifacts on S3.

What the distributed suite runs against, every part a real server started here and stopped after:

* ``redis-server`` (Debian's package) on a free port: the Celery broker (db 0) and result backend (db 1);
* ``moto_server`` (``moto[server]``): an S3-compatible server holding the bucket of the artifact store;
* the Airflow side: ``airflow db migrate``, then ``api-server``, ``scheduler`` and ``dag-processor`` in one
  AIRFLOW_HOME with the CeleryExecutor and a SQLite metadata DB;
* two ``airflow celery worker`` processes, each in its own working directory, AIRFLOW_HOME, temp dir and
  plan cache, named ``worker-a`` and ``worker-b``.

What the workers share is what a deployment shares: the DAGs folder and the pipeline code on
``sys.path`` (the repository, read-only in spirit), the broker, the Airflow API (tasks report to the
api-server's execution API: Airflow 3 workers never open the metadata DB, so the SQLite file is read
and written by the scheduler's processes only), and the S3 bucket. Nothing else: no artifact folder,
no shared temp dir. Each worker's ``[core] hostname_callable`` names it, so the task instances say
which worker ran them.

Every process runs in a session (process group) of its own and is stopped by killing that group,
nothing else.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.scheduler.conftest import (
    BIN,
    PASSWORD,
    REPO,
    USER,
    AirflowError,
    AirflowServer,
    _group_alive,
    free_port,
)

WORKERS = ("worker-a", "worker-b")
BUCKET = "hamilflow-artifacts"
STARTUP_TIMEOUT = float(os.environ.get("HAMILFLOW_CLUSTER_TIMEOUT", "240"))
S3_KEYS = {"AWS_ACCESS_KEY_ID": "hamilflow-test", "AWS_SECRET_ACCESS_KEY": "hamilflow-test-secret"}


RECIPE_HEADING = "## Production recipe: Celery workers and S3"


def recipe_environment(values: dict[str, str]) -> dict[str, str]:
    """The README's production recipe: the ``export NAME=VALUE`` lines of the first ``bash`` block under
    its heading, with each ``<placeholder>`` (or example path) replaced by ``values[placeholder]``.

    So the suite runs the configuration the README gives users, and a change to one is a change to the other.
    """
    text = (REPO / "README.md").read_text()
    if RECIPE_HEADING not in text:
        raise AssertionError(f"README.md has no section {RECIPE_HEADING!r}")
    block = text.split(RECIPE_HEADING, 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    env = {}
    for line in block.splitlines():
        for placeholder in sorted(values, key=len, reverse=True):  # /srv/pipelines/airflow_dags first
            line = line.replace(placeholder, values[placeholder])
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            if len(words) != 2 or "<" in line.split("#")[0]:
                raise AssertionError(f"README recipe: {line!r} has a placeholder the suite does not fill")
            name, value = words[1].split("=", 1)
            env[name] = value
    return env


def redis_server() -> str | None:
    """Debian's redis-server binary, if installed (scripts/system-packages.sh installs it)."""
    return shutil.which("redis-server") or next(
        (p for p in ("/usr/bin/redis-server", "/usr/sbin/redis-server") if os.access(p, os.X_OK)), None
    )


class Service:
    """One long-running process in its own process group, with its output in a log file."""

    def __init__(self, name: str, argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        self.name, self.log_path = name, log
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def check(self) -> None:
        if self.process.poll() is not None:
            raise AirflowError(f"{self.name} exited with {self.process.returncode}; {self.log_path}:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM the process group, then SIGKILL what is left of it."""
        stop_all([self])

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)  # start_new_session: the group id is the leader's pid

    def alive(self) -> bool:
        self.process.poll()  # reap the leader: a zombie would keep its group id alive
        return _group_alive(self.process.pid)


def stop_all(services: list[Service]) -> None:
    """Stop several services at once: SIGTERM every group, wait up to 20 s, SIGKILL what is left."""
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 5.0)):
        running = [s for s in services if s.alive()]
        for service in running:
            service.signal(sig)
        deadline = time.monotonic() + wait
        while running and time.monotonic() < deadline:
            time.sleep(0.3)
            running = [s for s in running if s.alive()]
    for service in services:
        service.process.wait(timeout=10)
        service._log.close()


class S3Server:
    """``moto_server`` on a free loopback port with one bucket; clients find it through the AWS variables."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.service: Service | None = None

    def environment(self) -> dict[str, str]:
        """How a process reaches this server: the standard AWS variables, nothing hamilflow-specific."""
        return {**S3_KEYS, "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": self.endpoint}

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.service = Service("s3", argv, self.root, {**os.environ, **S3_KEYS}, self.root / "s3.log")
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self._bucket_made():
            self.service.check()
            if time.monotonic() > deadline:
                raise AirflowError(f"the S3 server is not up after {STARTUP_TIMEOUT:.0f} s:\n{self.service.tail()}")
            time.sleep(0.5)

    def _bucket_made(self) -> bool:
        import botocore.exceptions

        try:
            self.client().create_bucket(Bucket=BUCKET)
        except (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError):
            return False
        return True

    def client(self):
        """A boto3 S3 client of this server, for looking at and tampering with objects behind the store's back."""
        import boto3

        keys = {
            "aws_access_key_id": S3_KEYS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": S3_KEYS["AWS_SECRET_ACCESS_KEY"],
        }
        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1", **keys)

    def filesystem(self):
        """An s3fs file system of this server (what the store's fsspec URL opens, configured explicitly)."""
        import s3fs

        return s3fs.S3FileSystem(
            key=S3_KEYS["AWS_ACCESS_KEY_ID"],
            secret=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
            client_kwargs={"endpoint_url": self.endpoint, "region_name": "us-east-1"},
            skip_instance_cache=True,
        )

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None


class CeleryCluster(AirflowServer):
    """The deployment above; the REST client (trigger, wait_for_run, task_instances...) is the scheduler suite's."""

    def __init__(self, root: Path, s3: S3Server) -> None:
        super().__init__(root)
        self.s3 = s3
        self.redis_port = free_port()
        self.broker = f"redis://127.0.0.1:{self.redis_port}/0"
        self.store_url = f"s3://{BUCKET}/artifacts"  # what the README's recipe says, filled in
        self.secret = secrets.token_urlsafe(32)
        self.jwt_secret = secrets.token_urlsafe(64)
        self.services: list[Service] = []

    # ------------------------------------------------------------------ environments
    def shared_environment(self) -> dict[str, str]:
        """The configuration every Airflow process of the deployment has: the README's recipe, filled in."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HAMILFLOW_", "AWS_"))}
        recipe = recipe_environment(
            {
                "<redis-host>:6379": f"127.0.0.1:{self.redis_port}",
                "<api-server-host>:8080": f"127.0.0.1:{self.port}",
                "<one long random string>": self.jwt_secret,
                "/srv/pipelines/airflow_dags": str(self.dags),
                "/srv/pipelines": str(REPO),
                "<bucket>": BUCKET,
                "<another long random string>": self.secret,
                "<region>": "us-east-1",
            }
        )
        recipe["PYTHONPATH"] = os.pathsep.join([recipe["PYTHONPATH"], *filter(None, [os.environ.get("PYTHONPATH")])])
        env.update(recipe)
        env.update(
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__PARALLELISM="8",
            AIRFLOW__CELERY__WORKER_CONCURRENCY="2",  # two task processes per worker on a 2-core machine
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
            PATH=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
            NO_COLOR="1",
            PYTHONUNBUFFERED="1",
            **self.s3.environment(),  # the test's S3 server: its endpoint and keys
        )
        return env

    def environment(self) -> dict[str, str]:
        """The scheduler side: the metadata DB, the API and the UI's login live here."""
        env = self.shared_environment()
        env.update(
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=f"{USER}:admin",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(self.home / "passwords.json"),
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__API__BASE_URL=self.base_url,
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__API__EXPOSE_CONFIG="False",
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL="60",
            AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="1",
            AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT="300",
        )
        return env

    def worker_environment(self, name: str, folder: Path) -> dict[str, str]:
        """One worker: the shared configuration, plus a home, temp dir and plan cache of its own, and its name."""
        env = self.shared_environment()
        env.update(
            AIRFLOW_HOME=str(folder / "home"),
            TMPDIR=str(folder / "tmp"),
            HAMILFLOW_PLAN_CACHE=str(folder / "plans"),
            HAMILFLOW_WORKER_NAME=name,
            AIRFLOW__CORE__HOSTNAME_CALLABLE="tests.distributed.identity.worker_name",
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        )
        return env

    # ------------------------------------------------------------------ lifecycle
    def _service(self, name: str, argv: list[str], cwd: Path, env: dict[str, str]) -> Service:
        service = Service(name, argv, cwd, env, self.root / f"{name}.log")
        self.services.append(service)
        return service

    def _wait(self, what: str, ready, services: list[Service]) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready():
            for service in services:
                service.check()
            if time.monotonic() > deadline:
                tails = "\n".join(f"--- {s.name}\n{s.tail()}" for s in services)
                raise AirflowError(f"{what} not ready after {STARTUP_TIMEOUT:.0f} s\n{tails}")
            time.sleep(1)

    def start(self) -> None:
        for folder in (self.home, self.dags):
            folder.mkdir(parents=True, exist_ok=True)
        for dag_file in sorted((REPO / "airflow_dags").glob("*.py")):
            shutil.copy(dag_file, self.dags / dag_file.name)
        (self.home / "passwords.json").write_text(json.dumps({USER: PASSWORD}) + "\n")
        self._start_redis()
        workers = []  # they need only the broker to start, so they start while the scheduler side does
        for name in WORKERS:
            folder = self.root / name
            for sub in ("home", "tmp", "plans"):
                (folder / sub).mkdir(parents=True)
            # no log server: the tests read task states and log files, and two on one machine would need two ports
            argv = [str(BIN / "airflow"), "celery", "worker", "--celery-hostname", f"{name}@hamilflow"]
            workers.append(
                self._service(name, [*argv, "--skip-serve-logs"], folder, self.worker_environment(name, folder))
            )
        env = self.environment()
        migrate = subprocess.run(
            [str(BIN / "airflow"), "db", "migrate"], cwd=self.root, env=env, capture_output=True, text=True
        )
        if migrate.returncode:
            raise AirflowError(f"airflow db migrate failed:\n{migrate.stdout[-3000:]}\n{migrate.stderr[-3000:]}")
        self._write_ahead_log()
        airflow = [
            self._service(part, [str(BIN / "airflow"), part], self.root, env)
            for part in ("api-server", "scheduler", "dag-processor")
        ]
        self._wait("the Airflow api-server, scheduler and dag processor", self.healthy, [*airflow, *workers])
        self._wait("both Celery workers", lambda: self.workers_ready(workers), workers)
        self.process = airflow[0].process  # for AirflowServer's helpers that look at the server process

    def _write_ahead_log(self) -> None:
        """Put the SQLite metadata DB in WAL mode (kept in the file), so the API's reads never wait for the
        scheduler's writes nor block them: three processes share the DB here, where a deployment has Postgres."""
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.home / "airflow.db")) as db:
            mode = db.execute("pragma journal_mode=wal").fetchone()[0]
        if mode != "wal":
            raise AirflowError(f"the metadata DB stayed in journal mode {mode!r}")

    def _start_redis(self) -> None:
        binary = redis_server()
        folder = self.root / "redis"
        folder.mkdir()
        argv = [binary, "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "", "--appendonly", "no"]
        redis = self._service(
            "redis", [*argv, "--dir", str(folder), "--protected-mode", "yes"], folder, dict(os.environ)
        )

        def pong() -> bool:
            import redis as client

            try:
                return bool(client.Redis(port=self.redis_port, socket_timeout=2).ping())
            except client.RedisError:
                return False

        self._wait("redis-server", pong, [redis])

    def healthy(self) -> bool:
        """The metadata DB, scheduler and dag processor report healthy (no triggerer runs here)."""
        import requests

        try:
            health = requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).json()
        except (requests.RequestException, ValueError):
            return False
        return all(
            (health.get(p) or {}).get("status") == "healthy" for p in ("metadatabase", "scheduler", "dag_processor")
        )

    def workers_ready(self, workers: list[Service]) -> bool:
        """Every worker has said it is ready in its log (Celery's ``celery@<name> ready.``)."""
        return all(f"{s.name}@hamilflow ready".encode() in s.log_path.read_bytes() for s in workers)

    def stop(self) -> None:
        stop_all(self.services)  # all at once: a worker's warm shutdown does not hold up the rest
        self.services.clear()
        self.process = None

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(f"--- {s.name} ({s.log_path})\n{s.tail(lines)}" for s in self.services)
