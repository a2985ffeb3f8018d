"""Names longer than a file name may be, end to end through compiled tasks: the store shortens them.

The artifact store keeps a run's values under ``<dag_id>/<run_id>/<node>/<map_index>.pkl``, each
component percent-encoded; one longer than 255 bytes is stored as a readable prefix, ``~`` and
its SHA-256 (:mod:`hamilflow.runtime.store.layout`). Here the names are real ones: node names in
three scripts inside a mapped block (``tests/resources/airflow/unicode_names.py``), run on a real
Airflow with ``dag.test()``; and a run id as long as Airflow accepts, full of ``:``, ``+`` and ``~``.
``dag.test()`` makes its own run id (``manual__<date>``), so the long run id goes through the
runtime's task entry point, as each compiled task calls it, on a store on disk.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.airflow

NAMES = "tests.resources.airflow.unicode_names"
TOTAL = "合計"
SHORTENED = re.compile(r".*~[0-9a-f]{64}(\.pkl)?")


def _assert_fits(root: Path) -> list[str]:
    """Every name under ``root`` fits a file name; returns the shortened ones."""
    names = [p.name for p in root.rglob("*")]
    assert names and max(len(n.encode()) for n in names) <= 255
    return [n for n in names if SHORTENED.fullmatch(n)]


def test_non_ascii_node_names_in_a_mapped_block_run_on_airflow_as_in_the_driver(compile_dag, run_dag, local) -> None:
    path = compile_dag(NAMES, "unicode_names", final_vars=[TOTAL])
    result = run_dag(path)

    assert result.outputs == local(NAMES, [TOTAL]) == {TOTAL: ["0個", "10個", "20個", "30個"]}
    expander, mapped = result.tasks[0].task_id, result.tasks[1].task_id  # task ids are the node names
    assert expander.startswith("größenmäßig_") and mapped.startswith("длина_") and mapped.endswith("数量")
    assert [t.label for t in result.instances(mapped)] == [f"{expander}={i}" for i in range(4)]

    (run_folder,) = (Path(os.environ["HAMILFLOW_STORE_URL"]) / "unicode_names").iterdir()
    shortened = _assert_fits(run_folder)
    assert any(name.startswith("gr%C3%B6%C3%9Fenm%C3%A4%C3%9Fig_") for name in shortened)  # größenmäßig_...
    (items,) = [p for p in run_folder.iterdir() if p.name.startswith("%E6%95%B0%E9%87%8F")]  # 数量...
    assert SHORTENED.fullmatch(items.name)
    assert sorted(p.name for p in items.iterdir()) == ["0.pkl", "1.pkl", "2.pkl", "3.pkl"]  # one per item


def test_a_run_id_as_long_as_airflow_accepts_goes_through_the_compiled_tasks(tmp_path: Path, local) -> None:
    from airflow.configuration import conf
    from airflow.models.dagrun import DagRun

    from hamilflow.compiler import CompileOptions, compile_pipeline
    from hamilflow.runtime.task import list_block_chunks, read_outputs, run_task

    longest = DagRun.run_id.property.columns[0].type.length  # 250 in Airflow 3
    run_id = ("manual__2026-01-01T00:00:00+00:00" + "~:+" * longest)[:longest]
    assert re.fullmatch(conf.get("scheduler", "allowed_run_id_pattern"), run_id)  # a run id Airflow takes
    store = tmp_path / "store"
    compiled = compile_pipeline(
        CompileOptions(
            modules=[NAMES],
            dag_id="unicode_names",
            output=str(tmp_path / "dag.py"),
            final_vars=[TOTAL],
            store_url=str(store),
        )
    )
    spec, plan = compiled.spec, compiled.plan
    for task in plan.tasks:  # in dependency order; a mapped task once per chunk, as Airflow runs it
        if task.path:
            for chunk in list_block_chunks(spec, task.path[-1], run_id, 1024):
                run_task(spec, task.name, run_id, {}, chunk, 1024)
        else:
            run_task(spec, task.name, run_id, {})

    assert read_outputs(spec, run_id) == local(NAMES, [TOTAL])
    _assert_fits(store)
    (run_folder,) = (store / "unicode_names").iterdir()  # 250 characters, 700 bytes percent-encoded: shortened
    assert SHORTENED.fullmatch(run_folder.name) and run_folder.name.startswith("manual__2026-01-01T00%3A00%3A00%2B")
    (items,) = [p for p in run_folder.iterdir() if p.name.startswith("%E6%95%B0%E9%87%8F")]  # 数量...
    assert sorted(p.name for p in items.iterdir()) == ["0.pkl", "1.pkl", "2.pkl", "3.pkl"]  # one per item
