"""Non-ASCII node names and a run id as long as Airflow takes, on a deployed Airflow (``airflow standalone``).

``tests/airflow/test_long_names.py`` runs the same pipeline with ``dag.test()``, whose in-process
Execution API needed a workaround for non-ASCII task ids, and cannot take a run id of its own.
Here the tasks are separate processes talking HTTP to the API server, the DAG file is parsed by
the dag processor, and the run is triggered through the REST API with a run id full of ``:``,
``+`` and ``~``, as long as Airflow itself can run: its database column holds 250 characters, but
its default task log path has a folder ``run_id=<run id>``, which a file system refuses past 255
bytes (Airflow fails such a task before it starts). Percent-encoded for the artifact store, the
run id is far longer than that, so the store shortens it.
"""

from __future__ import annotations

import re

import pytest

from hamilflow.compiler import CompileOptions, compile_pipeline
from hamilflow.runtime.store import ArtifactStore
from hamilflow.runtime.task import read_outputs
from tests.scheduler.pipelines import local_outputs_of

pytestmark = [pytest.mark.scheduler, pytest.mark.slow]

NAMES = "tests.resources.airflow.unicode_names"
TOTAL = "合計"
RUN_ID_LENGTH = 240  # within Airflow's own log folder name (255 bytes with "run_id=")


def test_non_ascii_task_ids_and_the_longest_run_id_run_on_a_deployed_airflow(airflow_server) -> None:
    compiled = compile_pipeline(
        CompileOptions(
            modules=[NAMES],
            dag_id="unicode_names",
            final_vars=[TOTAL],
            output=str(airflow_server.dags / "unicode_names.py"),
        )
    )
    compiled.write()
    airflow_server.unpause("unicode_names")
    tasks = {t["task_id"] for t in airflow_server.api("GET", "/dags/unicode_names/tasks")["tasks"]}
    assert tasks == {t.name for t in compiled.plan.tasks}
    assert any(task.startswith("größenmäßig_") for task in tasks) and TOTAL in tasks

    run_id = ("manual__2026-01-01T00:00:00+00:00" + "~:+" * RUN_ID_LENGTH)[:RUN_ID_LENGTH]
    assert re.search(r"[^\x00-\x7f]", "".join(tasks)) and len(run_id) == RUN_ID_LENGTH
    assert airflow_server.trigger("unicode_names", run_id=run_id) == run_id
    run = airflow_server.wait_for_run("unicode_names", run_id)
    assert run["state"] == "success", airflow_server.describe("unicode_names", run_id)

    outputs = read_outputs(compiled.spec, run_id, ArtifactStore(airflow_server.store))
    assert outputs == local_outputs_of(NAMES, outputs=[TOTAL]) == {TOTAL: ["0個", "10個", "20個", "30個"]}
    mapped = [t for t in airflow_server.task_instances("unicode_names", run_id) if t["map_index"] >= 0]
    expander = next(t.name for t in compiled.plan.tasks if t.name.startswith("größenmäßig_"))
    labels = sorted(t["rendered_map_index"] for t in mapped)
    assert labels == [f"{expander}={i}" for i in range(4)]  # each instance labelled by its item
    (run_folder,) = (airflow_server.store / "unicode_names").iterdir()
    assert re.fullmatch(r"manual__2026-01-01T00%3A00%3A00%2B.*~[0-9a-f]{64}", run_folder.name)  # 660 bytes, shortened
    assert max(len(p.name.encode()) for p in run_folder.rglob("*")) <= 255
