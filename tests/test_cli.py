"""The ``hamilflow`` command: compile, check, recompile, run with typed inputs and a logical date, validate, graph.

``airflow-test`` of the examples is in tests/airflow; here it runs once, against ``run``, for a past date.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Callable

import pytest

import hamilflow
from hamilflow.cli import build_parser, main

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


# ---------------------------------------------------------------- typed inputs, --logical-date


@pytest.fixture
def pipeline_module(tmp_path, monkeypatch) -> Callable[[str], str]:
    """Writes a pipeline module into an importable folder, as a user's file; returns its import name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written = []

    def write(source: str) -> str:
        name = f"cli_pipeline_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        written.append(name)
        return name

    yield write
    for name in written:
        sys.modules.pop(name, None)


TYPED = """
    import datetime
    import enum
    from typing import Optional


    class Mode(enum.Enum):
        FAST = "fast"
        SLOW = "slow"


    def seen(
        day: datetime.date,
        at: datetime.datetime,
        count: int,
        ratio: float,
        loud: bool,
        words: list,
        weights: dict[str, float],
        limit: Optional[int],
        name: str,
        mode: Mode,
    ) -> tuple:
        return (day, at, count, ratio, loud, words, weights, limit, name, type(mode).__name__, mode.name)
"""


def test_run_reads_each_input_by_its_annotation(pipeline_module, capsys) -> None:
    name = pipeline_module(TYPED)
    inputs = [
        "day=2024-03-01",
        "at=2024-03-01T06:30:00Z",
        "count=3",
        "ratio=0.5",
        "loud=true",
        "words=[1, 2]",
        'weights={"a": 1.5}',
        "limit=null",
        "name=12",  # a str input keeps its text, even when it reads as a number
        "mode=SLOW",
    ]
    args = ["run", "-m", name, "--no-progress"] + [part for item in inputs for part in ("--input", item)]
    assert main(args) == 0
    seen = eval(capsys.readouterr().out.strip().removeprefix("seen = "))  # the repr the pipeline returned
    utc = datetime.timezone.utc
    assert seen[:9] == (
        datetime.date(2024, 3, 1),
        datetime.datetime(2024, 3, 1, 6, 30, tzinfo=utc),
        3,
        0.5,
        True,
        [1, 2],
        {"a": 1.5},
        None,
        "12",
    )
    assert seen[9:] == ("Mode", "SLOW")
    assert main([*args, "--input", "limit=7"]) == 0
    assert eval(capsys.readouterr().out.strip().removeprefix("seen = "))[7] == 7


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("count=three", "--input count=three: 'count' is int (parameter of "),
        ("day=March 1st", "Write an ISO date, e.g. 2024-03-01."),
        ("loud=perhaps", "Write true or false."),
        ("words={oops", "Write JSON (Expecting property name"),
        ("words={}", "Write a JSON array."),
        ("limit=many", "'limit' is Optional[int]"),
        ("mode=medium", "Write one of FAST, SLOW."),
    ],
)
def test_an_input_that_does_not_fit_its_annotation_is_one_paragraph(pipeline_module, capsys, item, message) -> None:
    name = pipeline_module(TYPED)
    assert main(["run", "-m", name, "--no-progress", "--input", item]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --input ") and message in err
    assert "Traceback" not in err and err.count("\n") == 1


CONTEXT = """
    import datetime


    def when(
        logical_date: datetime.datetime,
        ds: str,
        ds_nodash: str,
        ts: str,
        ts_nodash: str,
        data_interval_start: datetime.datetime,
        data_interval_end: datetime.datetime,
        run_id: str,
        run_after: datetime.datetime,
        dag_id: str,
        task_id: str,
        map_index: int,
        try_number: int,
    ) -> tuple:
        dates = (logical_date, data_interval_start, data_interval_end, run_after)
        assert all(d.tzinfo is not None for d in dates)
        text = [d.isoformat() for d in dates]
        return (*text, ds, ds_nodash, ts, ts_nodash, run_id, dag_id, task_id, map_index, try_number)
"""


def test_logical_date_fills_the_context_inputs_as_a_scheduled_daily_run(pipeline_module, capsys) -> None:
    name = pipeline_module(CONTEXT)
    assert main(["run", "-m", name, "--no-progress", "--logical-date", "2024-03-01", "--dag-id", "daily"]) == 0
    seen = eval(capsys.readouterr().out.strip().removeprefix("when = "))
    assert seen == (
        "2024-03-01T00:00:00+00:00",  # logical_date
        "2024-03-01T00:00:00+00:00",  # data_interval_start
        "2024-03-02T00:00:00+00:00",  # data_interval_end: a day later
        "2024-03-02T00:00:00+00:00",  # run_after: a scheduled run is due when its interval ends
        "2024-03-01",
        "20240301",
        "2024-03-01T00:00:00+00:00",
        "20240301T000000",
        "scheduled__2024-03-02T00:00:00+00:00",  # Airflow 3: run id of the run_after
        "daily",
        "when",  # one top-level node reads it: its task is named after it
        -1,
        1,
    )
    # --input wins over the context; a date-time with a zone is kept in UTC
    args = ["run", "-m", name, "--no-progress", "--logical-date", "2024-03-01T06:00:00+01:00", "--input", "ds=x"]
    assert main(args) == 0
    seen = eval(capsys.readouterr().out.strip().removeprefix("when = "))
    assert seen[0] == "2024-03-01T05:00:00+00:00" and seen[4] == "x"


def test_the_features_example_runs_for_a_past_date(in_repo, capsys) -> None:
    from examples.features import pipeline

    assert main(["run", "-m", "examples.features.pipeline", "--no-progress", "--logical-date", "2024-03-01"]) == 0
    day = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
    expected = pipeline.features(*_features_inputs(pipeline, day))
    assert capsys.readouterr().out == f"features =\n{expected}\n"


def _features_inputs(pipeline, day):
    events = pipeline.events(day)
    spend, visits = pipeline.spend(events), pipeline.visits(events)
    return spend, visits, pipeline.average_spend(spend, visits), events


def test_an_input_airflow_fills_asks_for_a_logical_date(in_repo, capsys) -> None:
    assert main(["run", "-m", "examples.features.pipeline", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "input 'data_interval_start' is filled by Airflow" in err and "--logical-date 2024-03-01" in err


def test_a_bad_logical_date_is_one_paragraph(in_repo, capsys) -> None:
    assert main(["run", "-m", "examples.features.pipeline", "--no-progress", "--logical-date", "yesterday"]) == 2
    assert "--logical-date yesterday: not an ISO date" in capsys.readouterr().err


@pytest.mark.airflow
def test_run_and_airflow_test_agree_on_a_past_date(airflow_home, capsys) -> None:
    from examples.features import pipeline

    expected = pipeline.features(
        *_features_inputs(pipeline, datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc))
    )
    dag = str(REPO / "airflow_dags/features.py")
    code = main(["airflow-test", dag, "--home", str(airflow_home), "--logical-date", "2024-03-01"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "success" in out and f"  features =\n{expected}" in out
    assert main(["run", "-m", "examples.features.pipeline", "--no-progress", "--logical-date", "2024-03-01"]) == 0
    assert capsys.readouterr().out == f"features =\n{expected}\n"


# ---------------------------------------------------------------- errors: one paragraph unless --debug


def test_bad_json_for_conf_is_refused_before_airflow_starts(in_repo, capsys) -> None:
    assert main(["airflow-test", "airflow_dags/word_count.py", "--conf", "{corpus: 1}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --conf '{corpus: 1}' is not valid JSON") and err.count("\n") == 1


def test_compile_refuses_a_param_of_the_wrong_type(in_repo, tmp_path, capsys) -> None:
    args = ["compile", "-m", "examples.features.pipeline", "--dag-id", "f", "--output", str(tmp_path / "f.py")]
    assert main([*args, "--param", "events_per_day=eleven"]) == 2
    assert "--param events_per_day=eleven: 'events_per_day' is int" in capsys.readouterr().err
    assert not (tmp_path / "f.py").exists()
    assert main([*args, "--param", "events_per_day=11"]) == 0
    assert "Param(11, " in (tmp_path / "f.py").read_text()


def test_a_missing_dependency_and_a_failing_import_are_named(pipeline_module, capsys) -> None:
    missing = pipeline_module("import no_such_package_here\n")
    assert main(["run", "-m", missing, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"cannot import module '{missing}'" in err and "it imports 'no_such_package_here'" in err
    failing = pipeline_module("x = 1\nraise ValueError('no settings file')\n")
    assert main(["run", "-m", failing, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "ValueError: no settings file" in err and f"{failing}.py:2" in err and "Traceback" not in err


FAILING = """
    def ratio(x: int) -> float:
        return 1 / x
"""


def test_a_failing_node_is_a_summary_and_debug_shows_the_traceback(pipeline_module, capsys) -> None:
    name = pipeline_module(FAILING)
    assert main(["run", "-m", name, "--no-progress", "--input", "x=0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ZeroDivisionError: division by zero (at ")
    assert f"{name}.py:3)" in err and "node 'ratio'" in err and "--debug" in err and "Traceback" not in err
    with pytest.raises(ZeroDivisionError):
        main(["run", "-m", name, "--no-progress", "--input", "x=0", "--debug"])
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "run", "-m", name, "--no-progress", "--input", "x=0"])


@pytest.mark.airflow
def test_airflow_test_refuses_a_conf_of_the_wrong_type_in_one_paragraph(airflow_home, capsys) -> None:
    dag = str(REPO / "airflow_dags/features.py")
    code = main(["airflow-test", dag, "--home", str(airflow_home), "--conf", '{"events_per_day": "many"}'])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("""error: --conf '{"events_per_day": "many"}': Airflow refuses this run conf: """)
    assert "events_per_day: 'many' is not of type 'integer'" in err and err.count("\n") == 1


def test_a_missing_input_is_told_in_the_commands_terms(pipeline_module, capsys) -> None:
    name = pipeline_module(FAILING)
    assert main(["run", "-m", name, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "missing input 'x' (int), required by 'ratio'" in err and "Pass it as --input x=VALUE" in err


def test_typed_parsing_keeps_the_annotated_class() -> None:
    import typing

    import pandas as pd
    import pendulum

    from hamilflow.cli_inputs import parse_typed

    assert parse_typed("2024-03-01", pd.Timestamp, "--input", "t") == pd.Timestamp("2024-03-01")
    assert isinstance(parse_typed("2024-03-01", pd.Timestamp, "--input", "t"), pd.Timestamp)
    when = parse_typed("2024-03-01T01:00:00Z", pendulum.DateTime, "--input", "t")
    assert isinstance(when, pendulum.DateTime) and when.isoformat() == "2024-03-01T01:00:00+00:00"
    assert parse_typed("[1, 2]", tuple[int, ...], "--input", "t") == (1, 2)
    assert parse_typed("b", typing.Literal["a", "b"], "--input", "t") == "b"
    assert parse_typed("2", int | str, "--input", "t") == 2
    assert parse_typed("two", int | str, "--input", "t") == "two"
    assert parse_typed('{"a": 1}', typing.Any, "--input", "t") == {"a": 1}
    assert Path(parse_typed("data/in.csv", Path, "--input", "t")) == Path("data/in.csv")


# ---------------------------------------------------------------- validate


BROKEN = """
    def a(x: int) -> str:
        return str(x)


    def b(a: int) -> int:
        return a


    def c(d: int) -> int:
        return d


    def d(c: int) -> int:
        return c
"""


def test_validate_passes_a_valid_pipeline(in_repo, capsys) -> None:
    assert main(["validate", "-m", "examples.features.pipeline"]) == 0  # data_interval_start: Airflow fills it
    assert capsys.readouterr().out.startswith("examples.features.pipeline: valid (5 nodes; outputs features)")
    assert main(["validate", "-m", "examples.word_count.pipeline", "--airflow", "--dag-id", "word_count"]) == 0


def test_validate_lists_every_problem_and_exits_1(pipeline_module, capsys) -> None:
    name = pipeline_module(BROKEN)
    assert main(["validate", "-m", name]) == 1
    err = capsys.readouterr().err
    assert f"{name}: not valid (2 problems):" in err
    assert "  1. " in err and "  2. " in err and "cycle: c -> d -> c" in err and "'a'" in err and "str" in err


def test_validate_checks_the_request_too(in_repo, pipeline_module, capsys) -> None:
    name = pipeline_module(TYPED)
    args = ["validate", "-m", name, "--input", "count=three", "--input", "day=2024-03-01"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "--input count=three" in err and "missing input 'at'" in err and "missing input 'day'" not in err
    args = ["validate", "-m", "examples.word_count.pipeline", "--output-var", "total_wordz"]
    assert main(args) == 1
    assert "Did you mean 'total_words'?" in capsys.readouterr().err
    args = ["validate", "-m", "examples.word_count.pipeline", "--airflow", "--dag-id", "bad id"]
    assert main(args) == 1
    assert "on Airflow: dag id 'bad id' is not valid" in capsys.readouterr().err


def test_validate_exit_codes_in_a_process(in_repo, pipeline_module, tmp_path) -> None:
    name = pipeline_module(BROKEN)
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}"}
    command = [sys.executable, "-m", "hamilflow.cli", "validate", "-m"]
    bad = subprocess.run([*command, name], cwd=REPO, capture_output=True, text=True, env=env)
    good = subprocess.run([*command, "examples.nested.pipeline"], cwd=REPO, capture_output=True, text=True, env=env)
    assert (bad.returncode, good.returncode) == (1, 0), bad.stderr + good.stderr
    assert "Traceback" not in bad.stderr


# ---------------------------------------------------------------- graph


def test_graph_prints_dot_with_blocks_as_clusters(in_repo, capsys) -> None:
    assert main(["graph", "-m", "examples.nested.pipeline"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith("digraph hamilflow {")
    for node in ("regions", "region", "store", "store_sales", "region_total", "region_line", "report"):
        assert f'  "{node}" [' in dot or f'    "{node}" [' in dot
    assert 'subgraph "cluster_region" {' in dot and 'subgraph "cluster_region_store" {' in dot
    assert '"store_sales" -> "region_total" [style=bold, label=collect];' in dot


def test_graph_of_some_outputs_draws_only_what_they_need(in_repo, capsys) -> None:
    assert main(["graph", "-m", "examples.features.pipeline", "--output-var", "spend"]) == 0
    dot = capsys.readouterr().out
    assert '"spend" [' in dot and '"events" [' in dot and '"visits" [' not in dot
    assert main(["graph", "-m", "examples.features.pipeline", "--output-var", "spendd"]) == 2
    assert "Did you mean 'spend'?" in capsys.readouterr().err


def test_graph_plan_draws_each_task_as_a_cluster(in_repo, capsys) -> None:
    assert main(["graph", "-m", "examples.nested.pipeline", "--plan"]) == 0
    dot = capsys.readouterr().out
    assert dot.startswith("digraph hamilflow_plan {")
    assert dot.count('subgraph "cluster_task_') == 5
    assert 'label="task region_total__region_line\\nmapped over region"' in dot
    assert 'label="task store_sales\\nmapped over region > store"' in dot
    assert '"regions" [style=dashed];' in dot
    assert main(["graph", "-m", "examples.nested.pipeline", "--plan", "--grouping", "individual"]) == 0
    assert capsys.readouterr().out.count('subgraph "cluster_task_') == 6  # every node its own task


def test_graph_as_mermaid_nests_blocks_as_subgraphs(in_repo, tmp_path, capsys) -> None:
    assert main(["graph", "-m", "examples.nested.pipeline", "--format", "mermaid"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    outer = lines.index('  subgraph block_n1["for each region"]')
    inner = lines.index('    subgraph block_n1__n2["for each store"]')
    assert outer < inner and lines[inner + 1] == '      n3["store_sales<br/><i>float</i>"]'
    assert '  n0(["regions<br/><i>list</i>"])' in lines
    assert "  n3 ==>|collect| n4" in lines and "  n0 --> n1" in lines
    output = tmp_path / "nested.mmd"
    assert main(["graph", "-m", "examples.nested.pipeline", "-o", str(output)]) == 0
    assert output.read_text() == text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_graph_renders_svg_and_png_with_graphviz(in_repo, tmp_path, capsys) -> None:
    svg, png = tmp_path / "nested.svg", tmp_path / "plan.png"
    assert main(["graph", "-m", "examples.nested.pipeline", "-o", str(svg)]) == 0
    assert "<svg" in svg.read_text() and "store_sales" in svg.read_text() and "for each region" in svg.read_text()
    assert main(["graph", "-m", "examples.nested.pipeline", "--plan", "--format", "png", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_to_a_binary_format_needs_a_file(in_repo, capsys) -> None:
    assert main(["graph", "-m", "examples.nested.pipeline", "--format", "svg"]) == 2
    assert "give its path with -o" in capsys.readouterr().err


# ---------------------------------------------------------------- --version, --help


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out.startswith(f"hamilflow {hamilflow.__version__} (apache-hamilton ")


def test_every_option_of_every_command_has_help_text() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(commands.choices) >= {"compile", "run", "validate", "graph", "airflow-test", "demo"}
    undocumented = [
        f"{command} {action.dest}"
        for command, sub in [("hamilflow", parser), *commands.choices.items()]
        for action in sub._actions
        if not isinstance(action, argparse._SubParsersAction) and not (action.help or "").strip()
    ]
    assert undocumented == []
    for command in commands.choices.values():
        assert "--debug" in command.format_help()


def test_compile_takes_how_many_items_each_mapped_instance_runs(in_repo, tmp_path) -> None:
    from hamilflow.compiler import embedded_spec

    output = tmp_path / "wc.py"
    args = ["compile", "-m", "examples.word_count.pipeline", "--dag-id", "wc", "--output-var", "total_words"]
    assert main([*args, "--items-per-task", "2", "--output", str(output)]) == 0
    assert embedded_spec(output)["chunking"] == {"url": {"items_per_task": 2}}
