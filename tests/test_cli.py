"""The ``hamilflow`` command: compile, check, recompile and run (airflow-test is in tests/airflow)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from hamilflow.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)  # the default DAG folder and the examples are relative to the repository root
    return REPO


def test_compile_writes_a_dag_file(in_repo, tmp_path, capsys) -> None:
    output = tmp_path / "dags" / "wc.py"
    code = main(
        [
            "compile",
            "-m",
            "examples.word_count.pipeline",
            "--dag-id",
            "wc",
            "--output-var",
            "total_words",
            "--param",
            "corpus=empty",
            "--schedule",
            "@daily",
            "--output",
            str(output),
        ]
    )
    assert code == 0
    assert capsys.readouterr().out.strip() == f"wrote {output}"
    text = output.read_text()
    assert "def wc():" in text and 'schedule="@daily"' in text and 'Param("empty", type="string"' in text
    compile(text, str(output), "exec")


def test_compile_check_passes_on_the_committed_dag_files(in_repo, capsys) -> None:
    assert main(["compile", "--check"]) == 0
    out = capsys.readouterr().out
    for name in ("word_count", "features", "nested", "data_quality", "sales_by_region", "regional_models"):
        assert f"airflow_dags/{name}.py: up to date" in out


def test_the_installed_command_checks_the_committed_dag_files(in_repo) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hamilflow.cli", "compile", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "airflow_dags/word_count.py: up to date" in done.stdout


def test_check_fails_when_the_pipeline_changed_and_recompile_fixes_it(tmp_path, monkeypatch, capsys) -> None:
    name = f"cli_case_{uuid.uuid4().hex[:8]}"
    module = tmp_path / f"{name}.py"
    module.write_text("def answer() -> int:\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    dag = tmp_path / "answer.py"
    assert main(["compile", "-m", name, "--dag-id", "answer", "--output", str(dag)]) == 0
    assert main(["compile", "--check", str(dag)]) == 0

    module.write_text("def answer() -> int:\n    return 42\n")
    monkeypatch.delitem(sys.modules, name)  # as a new `hamilflow` process would import it
    capsys.readouterr()
    assert main(["compile", "--check", str(dag)]) == 1
    assert f"Run: hamilflow compile --recompile {dag}" in capsys.readouterr().err

    assert main(["compile", "--recompile", str(dag)]) == 0
    assert main(["compile", "--check", str(dag)]) == 0
    monkeypatch.delitem(sys.modules, name)


def test_compile_errors_exit_2_with_every_problem(in_repo, capsys) -> None:
    code = main(["compile", "-m", "examples.word_count.pipeline", "--dag-id", "bad id", "--output-var", "total_word"])
    assert code == 2
    err = capsys.readouterr().err
    assert "dag id 'bad id' is not valid" in err


def test_check_of_a_missing_file_exits_2(in_repo, capsys) -> None:
    assert main(["compile", "--check", "airflow_dags/no_such_dag.py"]) == 2
    assert "no such DAG file" in capsys.readouterr().err


def test_run_prints_the_outputs(in_repo, capsys) -> None:
    args = ["run", "-m", "examples.word_count.pipeline", "--output-var", "total_words", "--no-progress"]
    assert main(args) == 0
    assert capsys.readouterr().out.strip() == "total_words = 109"
    assert main([*args, "--input", "corpus=empty"]) == 0
    assert capsys.readouterr().out.strip() == "total_words = 0"


def test_run_with_default_outputs_and_threads(in_repo, capsys) -> None:
    assert main(["run", "-m", "examples.nested.pipeline", "--executor", "threads", "--no-progress"]) == 0
    assert capsys.readouterr().out.strip() == (
        "report = {'lines': ['north: 112.0', 'south: 149.0', 'east: 0.0'], 'total': 261.0}"
    )


def test_run_of_an_unknown_module_exits_2(in_repo, capsys) -> None:
    assert main(["run", "-m", "examples.nope", "--no-progress"]) == 2
    assert "cannot import module 'examples.nope'" in capsys.readouterr().err
