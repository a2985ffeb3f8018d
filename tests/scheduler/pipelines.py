"""What the scheduler tests compare against: the compiled DAGs' specs, the local Driver, the store's files."""

from __future__ import annotations

import ast
import datetime
import importlib
from pathlib import Path
from typing import Any

from hamilflow.runtime.spec import PipelineSpec
from hamilflow.runtime.store import ArtifactStore
from hamilflow.runtime.task import read_outputs

REPO = Path(__file__).resolve().parents[2]


def dag_spec(dag_id: str) -> PipelineSpec:
    """The ``SPEC`` a compiled DAG file embeds, read without importing Airflow into the test process."""
    tree = ast.parse((REPO / "airflow_dags" / f"{dag_id}.py").read_text())
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and [getattr(t, "id", None) for t in statement.targets] == ["SPEC"]:
            return PipelineSpec.from_dict(ast.literal_eval(statement.value))
    raise AssertionError(f"airflow_dags/{dag_id}.py has no SPEC constant")


def local_outputs(dag_id: str, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the local Driver computes for the DAG's pipeline (same modules, config and outputs)."""
    spec = dag_spec(dag_id)
    return local_outputs_of(*spec.modules, outputs=list(spec.final_vars), config=dict(spec.config), inputs=inputs)


def local_outputs_of(
    *modules: str, outputs: list[str], config: dict[str, Any] | None = None, inputs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the local Driver computes for ``outputs`` of the pipeline in ``modules`` (names)."""
    from hamilflow.driver import Builder

    imported = [importlib.import_module(name) for name in modules]
    driver = Builder().with_modules(*imported).with_config(config or {}).build()
    return driver.raw_execute(outputs, inputs=inputs or {})


def store_outputs(store_root: Path, dag_id: str, run_id: str) -> dict[str, Any]:
    """One run's final values, read back from the artifact store the server's tasks wrote."""
    return read_outputs(dag_spec(dag_id), run_id, ArtifactStore(store_root))


def run_folder(store_root: Path, dag_id: str, run_id: str) -> Path:
    """Where one run's artifacts live: ``<store>/<dag_id>/<run_id, percent-encoded>/``."""
    ref = ArtifactStore.ref(dag_id, run_id, "x")
    return store_root.joinpath(*ref.split("/")[:2])


def run_files(store_root: Path, dag_id: str, run_id: str) -> list[str]:
    """Every file of one run's folder (temp files included), relative to the folder."""
    folder = run_folder(store_root, dag_id, run_id)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def temp_files(store_root: Path) -> list[str]:
    """Leftovers of interrupted writes anywhere in the store (``.<name>.<pid>.<uuid>.tmp``)."""
    return sorted(
        str(p) for p in store_root.rglob("*") if p.is_file() and (p.name.startswith(".") or p.suffix == ".tmp")
    )


def parse_time(text: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
