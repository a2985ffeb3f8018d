"""The compiler's safety net: a DAG file is written only once Airflow has loaded it as intended.

Rendering is tested, but a file that Airflow cannot import fails in the dag-processor,
far from the ``hamilflow compile`` that wrote it. So before writing, the command checks
the text it is about to write: it must be valid Python, its ``SPEC`` must read back as the
spec compiled, and, in a separate Python process with Airflow (a temporary AIRFLOW_HOME,
so nothing of the user's deployment is read or written), importing it must define exactly
one DAG with the intended dag_id, task ids and params. Anything else is a
:class:`~hamilflow.compiler.CompileError`, and no file.

The import runs in its own process because importing Airflow reads its configuration once
per process: the compiler must not be the one that fixes it.

    >>> problems = check_source(source, dag)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hamilflow.compiler.model import AirflowDag

# Run in the checking process: import each file as Airflow's dag-processor would, and say what it defines.
_LOADER = """
import importlib.util, json, sys, traceback
from airflow.sdk import DAG
found = []
for number, path in enumerate(sys.argv[1:]):
    try:
        spec = importlib.util.spec_from_file_location(f"hamilflow_compiled_dag_check_{number}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException as error:
        found.append(f"{type(error).__name__}: {error}")
        continue
    dags = [v for v in vars(module).values() if isinstance(v, DAG)]
    found.append([
        {"dag_id": d.dag_id, "task_ids": sorted(d.task_dict), "params": sorted(d.params.keys())} for d in dags
    ])
print(json.dumps(found))
"""


def check_source(source: str, dag: AirflowDag, import_with_airflow: bool = True) -> list[str]:
    """What is wrong with ``source`` as the file of ``dag``; empty when it is right (see :func:`check_sources`)."""
    return check_sources([(source, dag)], import_with_airflow)[0]


def check_sources(files: list[tuple[str, AirflowDag]], import_with_airflow: bool = True) -> list[list[str]]:
    """For each ``(source, dag)``, what is wrong with ``source`` as the file of ``dag`` (empty when right).

    ``import_with_airflow`` also imports them with Airflow, all in one separate process
    (skipped, with the syntax and ``SPEC`` checks still made, where Airflow is not installed).
    """
    from hamilflow.compiler import embedded_spec

    problems: list[list[str]] = []
    for source, dag in files:
        try:
            compile(source, f"{dag.dag_id}.py", "exec")
        except SyntaxError as error:
            problems.append([f"the generated file is not valid Python ({error.msg}, line {error.lineno}): {_report}"])
            continue
        if embedded_spec("<generated>", source) != _plain(dag.spec):
            problems.append([f"the generated file's SPEC does not read back as the spec compiled: {_report}"])
            continue
        problems.append([])
    to_import = [i for i, found in enumerate(problems) if not found]
    if not import_with_airflow or not to_import or not _airflow_installed():
        return problems
    imported = _import_in_airflow([files[i][0] for i in to_import], [files[i][1].dag_id for i in to_import])
    for position, found in zip(to_import, imported):
        dag = files[position][1]
        intended = {
            "dag_id": dag.dag_id,
            "task_ids": sorted(t.airflow_id for t in dag.tasks),
            "params": sorted(p.name for p in dag.params),
        }
        if isinstance(found, str):
            problems[position].append(f"Airflow cannot import the generated file ({found}): {_report}")
        elif found != [intended]:
            problems[position].append(
                f"Airflow reads the generated file as {found}, where {intended} was meant: {_report}"
            )
    return problems


_report = "this is a hamilflow bug; please report it with the pipeline that shows it. No file was written."


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data, default=str))


def _airflow_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("airflow") is not None


def _import_in_airflow(sources: list[str], dag_ids: list[str]) -> list[Any]:
    """What Airflow finds in each source (a list of DAG summaries), or why it could not import it (text)."""
    with tempfile.TemporaryDirectory(prefix="hamilflow-check-") as folder:
        paths = []
        for number, (source, dag_id) in enumerate(zip(sources, dag_ids)):
            path = Path(folder) / f"{number}_{dag_id}.py"
            path.write_text(source)
            paths.append(str(path))
        env = {**os.environ, "AIRFLOW_HOME": str(Path(folder) / "airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
        env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), *filter(None, [env.get("PYTHONPATH")])])
        done = subprocess.run(
            [sys.executable, "-c", _LOADER, *paths], capture_output=True, text=True, env=env, timeout=600
        )
    try:
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [f"the checking process failed: {last}"] * len(sources)
    return found
