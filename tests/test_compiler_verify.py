"""The compiler's safety net: what Airflow would not read as the DAG intended is a CompileError, never a file."""

from __future__ import annotations

import hamilflow.compiler as compiler_package
from hamilflow.cli import main
from hamilflow.compiler import CompileOptions, compile_pipeline
from hamilflow.compiler.verify import check_sources

WORD_COUNT = "examples.word_count.pipeline"


def _compiled(tmp_path, dag_id: str = "wc"):
    return compile_pipeline(
        CompileOptions(modules=[WORD_COUNT], dag_id=dag_id, final_vars=["total_words"], output=str(tmp_path / "x.py"))
    )


def test_airflow_reads_a_good_file_as_intended_and_every_way_a_file_can_be_wrong_is_caught(tmp_path) -> None:
    good = _compiled(tmp_path)
    cases = {
        "good": good.source,
        "not python": good.source + "\ndef (:\n",
        "spec changed": good.source.replace(good.spec.fingerprint, "0" * 16),
        "import fails": good.source + "\nraise RuntimeError('boom at parse time')\n",
        "another dag id": good.source.replace("@dag(\n", '@dag(\n    dag_id="other",\n', 1),
        "a task renamed": good.source.replace(
            "total_words_task = total_words()", 'total_words_task = total_words.override(task_id="renamed")()'
        ),
    }
    found = dict(zip(cases, check_sources([(source, good.dag) for source in cases.values()])))
    assert found["good"] == []
    assert "not valid Python" in found["not python"][0]
    assert "SPEC does not read back" in found["spec changed"][0]
    assert "RuntimeError: boom at parse time" in found["import fails"][0]
    assert "'dag_id': 'other'" in found["another dag id"][0]
    assert "'renamed'" in found["a task renamed"][0] and "No file was written" in found["a task renamed"][0]


def test_the_compile_command_writes_no_file_when_the_check_fails(tmp_path, monkeypatch, capsys) -> None:
    real = compiler_package.render
    monkeypatch.setattr(compiler_package, "render", lambda dag: real(dag) + "\ndef (:\n")
    output = tmp_path / "broken.py"
    assert main(["compile", "-m", WORD_COUNT, "--dag-id", "broken", "--output", str(output)]) != 0
    assert not output.exists()
    assert "not valid Python" in capsys.readouterr().err
