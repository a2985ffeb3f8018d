"""docker-compose.yml without a Docker engine: what `docker-compose config` says, its structure, its commands.

No Docker daemon runs in CI, so the stack is checked statically: the compose tool validates the file
(skipped when neither `docker-compose` nor `docker compose` is installed), Python checks the services,
health checks, start order, mounts and image version, and Airflow's own CLI parser checks that every
`airflow ...` command the stack runs exists in the installed Airflow 3 with those options.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}
LONG_RUNNING = AIRFLOW_SERVICES - {"airflow-init"}
# The `distributed` profile: a broker, an S3-compatible store and its bucket, two Celery workers
WORKERS = {"airflow-worker-1", "airflow-worker-2"}
DISTRIBUTED = {"redis", "s3", "s3-init", *WORKERS}
BASE = {"postgres", *AIRFLOW_SERVICES}
# What the compose file's header tells users to set with `--profile distributed`
DISTRIBUTED_ENV = {"AIRFLOW_EXECUTOR": "CeleryExecutor", "HAMILFLOW_STORE_URL": "s3://hamilflow-artifacts/artifacts"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())  # safe_load resolves the `<<: *anchor` merges


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


def _conditions(service: dict) -> dict[str, str]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return {name: "service_started" for name in depends}
    return {name: spec.get("condition", "service_started") for name, spec in depends.items()}


def _volumes(service: dict) -> list[tuple[str, str]]:
    """(source, target) of each short-syntax volume."""
    out = []
    for volume in service.get("volumes") or []:
        source, target, *_ = volume.split(":")
        out.append((source, target))
    return out


def _compose_tool() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def _config(tool: list[str], *options: str, **variables: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW_", "DOCKER_HOST", "HAMILFLOW_"))}
    result = subprocess.run(
        [*tool, "-f", str(COMPOSE), *options, "config"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**env, **variables},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_docker_compose_config_accepts_the_file():
    tool = _compose_tool()
    if tool is None:
        pytest.skip(
            "neither docker-compose nor the docker compose plugin is installed (apt-get install docker-compose)"
        )
    resolved = _config(tool)
    # docker compose v2 leaves inactive profiles out; docker-compose 1.29 lists them with their `profiles`
    assert {n for n, s in resolved["services"].items() if not s.get("profiles")} == BASE
    assert resolved["services"]["airflow-apiserver"]["depends_on"]["airflow-init"]["condition"] == (
        "service_completed_successfully"
    )
    for name in AIRFLOW_SERVICES:
        env = resolved["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["HAMILFLOW_STORE_URL"] == "/opt/airflow/artifacts", name

    distributed = _config(tool, "--profile", "distributed", **DISTRIBUTED_ENV)
    assert set(distributed["services"]) == BASE | DISTRIBUTED
    for name in AIRFLOW_SERVICES | WORKERS:
        env = distributed["services"][name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["HAMILFLOW_STORE_URL"] == DISTRIBUTED_ENV["HAMILFLOW_STORE_URL"], name


def test_services_form_an_airflow3_stack_on_postgres_with_local_executor(services):
    assert set(services) == BASE | DISTRIBUTED
    assert services["postgres"]["image"].startswith("postgres:")
    commands = {name: services[name].get("command") for name in LONG_RUNNING}
    assert commands == {
        "airflow-apiserver": "api-server",
        "airflow-scheduler": "scheduler",
        "airflow-dag-processor": "dag-processor",
        "airflow-triggerer": "triggerer",
    }
    for name in AIRFLOW_SERVICES:
        env = _environment(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}", name  # Celery: on request
        assert not services[name].get("profiles"), f"{name} belongs to every stack, not to a profile"
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/", name
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"], f"{name}: every container must share one JWT secret"
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile", name
    assert any(p.endswith(":8080") and p.split(":")[-2] == "8080" for p in services["airflow-apiserver"]["ports"])
    assert len({_environment(services[n])["AIRFLOW__API_AUTH__JWT_SECRET"] for n in AIRFLOW_SERVICES}) == 1


def test_health_checks_and_depends_on_bring_the_stack_up_in_order(services):
    for name in ["postgres", *LONG_RUNNING, "redis", "s3", *WORKERS]:
        check = services[name].get("healthcheck") or {}
        assert check.get("test") and check["test"][0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
        assert check.get("interval") and check.get("retries"), name
    init = services["airflow-init"]
    assert init.get("restart") == "no" and "healthcheck" not in init
    assert _conditions(init) == {"postgres": "service_healthy"}
    for name in LONG_RUNNING:
        conditions = _conditions(services[name])
        assert conditions["postgres"] == "service_healthy", name
        assert conditions["airflow-init"] == "service_completed_successfully", name
    for name in LONG_RUNNING - {"airflow-apiserver"}:  # tasks and parsing report to the api-server
        assert _conditions(services[name])["airflow-apiserver"] == "service_healthy", name
    for name, service in services.items():
        for dependency, condition in _conditions(service).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            if condition == "service_healthy":
                assert "healthcheck" in services[dependency], f"{name} waits for {dependency}'s missing health check"
    # a start order exists (no cycle): postgres, init, api-server, then the rest
    order, pending = [], dict(services)
    for _ in range(len(services)):
        ready = sorted(n for n in pending if all(d in order for d in _conditions(pending[n])))
        order += ready
        for n in ready:
            del pending[n]
    assert not pending, f"depends_on has a cycle among {sorted(pending)}"
    assert order.index("postgres") < order.index("airflow-init") < order.index("airflow-apiserver")
    assert order.index("airflow-apiserver") < order.index("airflow-scheduler")


def test_dags_examples_and_one_artifact_store_are_mounted_into_every_airflow_service(compose, services):
    named = set(compose.get("volumes") or {})
    for name in AIRFLOW_SERVICES:
        service = services[name]
        env = _environment(service)
        mounts = dict((target, source) for source, target in _volumes(service))
        assert mounts[env["AIRFLOW__CORE__DAGS_FOLDER"]] == "./airflow_dags", name
        python_path = env["PYTHONPATH"].split(":")
        assert any(mounts.get(f"{p.rstrip('/')}/examples") == "./examples" for p in python_path), name
        store = re.fullmatch(r"\$\{HAMILFLOW_STORE_URL:-(/[^}]+)\}", env["HAMILFLOW_STORE_URL"]).group(1)  # the default
        assert mounts[store] == "hamilflow-artifacts", f"{name}: the artifact store is not the shared named volume"
    assert "hamilflow-artifacts" in named
    for name, service in services.items():
        for source, _target in _volumes(service):
            if source.startswith((".", "/")):
                assert (REPO / source).exists(), f"{name} mounts {source}, which is not in the repository"
            else:
                assert source in named, f"{name} uses volume {source}, not declared under volumes:"


def test_image_extends_the_official_airflow_of_the_pinned_version(services):
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    version = re.search(r"^ARG AIRFLOW_VERSION=(\S+)$", dockerfile, re.M).group(1)
    assert re.search(r"^FROM apache/airflow:\$\{AIRFLOW_VERSION\}-python\$\{PYTHON_VERSION\}$", dockerfile, re.M)
    assert '"apache-airflow==${AIRFLOW_VERSION}"' in dockerfile
    for source in re.findall(r"^COPY (?:--\S+ )*(.+) \S+$", dockerfile, re.M):
        for path in source.split():
            assert (REPO / path).exists(), f"docker/Dockerfile copies {path}, which is not in the repository"
    for name in AIRFLOW_SERVICES | WORKERS:
        build = services[name]["build"]
        assert (REPO / build["context"] / build["dockerfile"]).is_file()
        assert str(build["args"]["AIRFLOW_VERSION"]) == version, name
        assert services[name]["image"].endswith(f":{version}"), name
    spec = _airflow_requirement()
    assert Version(version) in SpecifierSet(spec[len("apache-airflow") :].split(";")[0].strip()), (version, spec)


def _airflow_requirement() -> str:
    """The apache-airflow requirement of pyproject's ``airflow`` extra."""
    text = (REPO / "pyproject.toml").read_text()
    try:
        import tomllib
    except ImportError:  # Python 3.10
        found = re.search(r'^\s*"(apache-airflow[^"]*)"', text, re.M)
        assert found, "pyproject.toml has no apache-airflow requirement"
        return found.group(1)
    requirements = tomllib.loads(text)["project"]["optional-dependencies"]["airflow"]
    return next(r for r in requirements if re.match(r"apache-airflow\b", r))


def _airflow_commands(services: dict) -> dict[str, list[str]]:
    """Every `airflow ...` command line the stack runs, as argv after `airflow`, keyed by where it comes from."""
    found: dict[str, list[str]] = {}
    for name, service in services.items():
        if name not in AIRFLOW_SERVICES | WORKERS:
            continue
        command = service.get("command")
        if service.get("entrypoint") is None and command:  # the image's entrypoint runs `airflow <command>`
            found[f"{name}: command"] = shlex.split(command) if isinstance(command, str) else list(command)
        elif command:  # a shell script: its lines that start with `airflow`
            script = command[-1] if isinstance(command, list) else command
            for i, line in enumerate(script.splitlines()):
                words = shlex.split(line.strip())
                if words[:1] == ["airflow"]:
                    found[f"{name}: script line {i + 1}"] = words[1:]
        test = (service.get("healthcheck") or {}).get("test") or []
        words = shlex.split(test[1]) if test[:1] == ["CMD-SHELL"] else test[1:]
        if words[:1] == ["airflow"]:
            found[f"{name}: healthcheck"] = words[1:]
    return found


_PARSE = """
import contextlib, io, json, sys
from airflow.cli.cli_parser import get_parser
results = {}
for where, argv in json.loads(sys.argv[1]).items():
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            args = get_parser().parse_args(argv)
        results[where] = "ok" if callable(getattr(args, "func", None)) else "no command"
    except SystemExit:
        results[where] = sink.getvalue().strip().splitlines()[-1:]
print("RESULTS " + json.dumps(results))
"""


def test_every_airflow_command_it_runs_exists_in_airflow3(services, tmp_path):
    airflow = Path(sys.executable).parent / "airflow"
    if not airflow.exists():
        pytest.skip("apache-airflow is not installed in this environment (pip install -e '.[airflow]')")
    commands = _airflow_commands(services)
    assert {tuple(v[:2]) for v in commands.values()} >= {
        ("api-server",),
        ("scheduler",),
        ("dag-processor",),
        ("triggerer",),
        ("db", "migrate"),
        ("jobs", "check"),
        ("celery", "worker"),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    # the Celery provider adds `airflow celery ...` when the CeleryExecutor is configured, as in the profile
    env.update(
        AIRFLOW_HOME=str(tmp_path), AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW__CORE__EXECUTOR="CeleryExecutor"
    )
    result = subprocess.run(
        [sys.executable, "-c", _PARSE, json.dumps(commands)], capture_output=True, text=True, env=env, timeout=300
    )
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("RESULTS ")), None)
    assert line, result.stdout[-2000:] + result.stderr[-2000:]
    results = json.loads(line[len("RESULTS ") :])
    bad = {where: (commands[where], outcome) for where, outcome in results.items() if outcome != "ok"}
    assert not bad, f"not valid Airflow 3 CLI commands: {bad}"


def test_the_distributed_profile_has_a_broker_an_s3_store_and_two_workers_sharing_only_what_a_deployment_shares(
    compose, services
):
    for name, service in services.items():
        assert service.get("profiles", []) == (["distributed"] if name in DISTRIBUTED else []), name
    assert services["redis"]["image"].startswith("redis:")
    bucket = DISTRIBUTED_ENV["HAMILFLOW_STORE_URL"].removeprefix("s3://").split("/")[0]
    assert f"local/{bucket}" in services["s3-init"]["command"][-1], "s3-init does not create the store's bucket"
    assert _conditions(services["s3-init"]) == {"s3": "service_healthy"}
    assert services["s3-init"].get("restart") == "no"
    for name in AIRFLOW_SERVICES | WORKERS:  # one configuration: every process finds the broker and the bucket
        env = _environment(services[name])
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379/"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("redis://redis:6379/"), name
        assert env["AWS_ENDPOINT_URL_S3"] == "http://s3:9000", name
        assert env["HAMILFLOW_STORE_SECRET"], f"{name}: artifacts on a shared bucket must be signed"
    for name in WORKERS:
        worker = services[name]
        assert worker["command"] == "celery worker"
        conditions = _conditions(worker)
        assert conditions["redis"] == "service_healthy" and conditions["airflow-apiserver"] == "service_healthy"
        assert conditions["s3-init"] == "service_completed_successfully", name
        assert conditions["airflow-init"] == "service_completed_successfully", name
        mounts = dict((target, source) for source, target in _volumes(worker))
        env = _environment(worker)
        assert mounts[env["AIRFLOW__CORE__DAGS_FOLDER"]] == "./airflow_dags", name
        assert "hamilflow-artifacts" not in mounts.values(), f"{name} must share artifacts through S3, not a volume"
        assert (
            env["AIRFLOW__API_AUTH__JWT_SECRET"]
            == _environment(services["airflow-apiserver"])["AIRFLOW__API_AUTH__JWT_SECRET"]
        )
    assert "s3-data" in compose["volumes"]
