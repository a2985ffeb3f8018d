"""What the DAG is given: params, context values, task settings from tags, docs; and a DAG gone stale."""

from __future__ import annotations

import datetime
import sys
import uuid

import pytest

from hamilflow.embedded_airflow import load_dag

pytestmark = pytest.mark.airflow

INPUTS = "tests.resources.airflow.inputs"


def test_params_are_typed_with_defaults_and_run_conf_overrides_them(compile_dag, run_dag, local) -> None:
    path = compile_dag(INPUTS, "inputs_params", final_vars=["settings", "when", "where"])
    _, dag = load_dag(path)
    schema = {name: dag.params.get_param(name).schema.get("type") for name in dag.params}
    assert schema == {
        "name": "string",
        "times": "integer",
        "ratio": "number",
        "loud": "boolean",
        "words": "array",
        "limit": ["integer", "null"],
    }

    day = datetime.datetime(2025, 3, 4, tzinfo=datetime.timezone.utc)
    conf = {"name": "airflow", "times": 5, "limit": 3}
    result = run_dag(path, run_conf=conf, logical_date=day)

    assert result.outputs["settings"] == local(INPUTS, ["settings"], conf)["settings"]
    assert result.outputs["settings"] == {
        "name": "airflow",
        "times": 5,
        "ratio": 0.5,
        "loud": False,
        "words": ["a", "b"],
        "limit": 3,
    }
    assert result.outputs["when"] == {
        "logical_date": "2025-03-04T00:00:00+00:00",
        "data_interval_start": "2025-03-04T00:00:00+00:00",
        "ds": "2025-03-04",
        "run_id": result.run_id,
    }
    assert result.outputs["where"] == {
        "dag_id": "inputs_params",
        "task_id": "where",
        "try_number": 1,
        "has_run_after": True,
    }


def test_a_run_conf_of_the_wrong_type_is_refused_before_any_task_runs(compile_dag) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    from hamilflow.embedded_airflow import run_dag_file

    path = compile_dag(INPUTS, "inputs_bad_conf", final_vars=["settings"])
    with pytest.raises(ParamValidationError, match="times"):
        run_dag_file(path, run_conf={"times": "many"})


def test_tags_become_task_settings_and_docstrings_task_docs(compile_dag) -> None:
    from airflow.dag_processing.dagbag import DagBag

    path = compile_dag("tests.resources.airflow.tagged", "tagged")
    bag = DagBag(dag_folder=str(path.parent))
    assert bag.import_errors == {}
    _, dag = load_dag(path)

    raw = dag.get_task("raw")
    assert raw.retries == 3
    assert raw.retry_delay == datetime.timedelta(seconds=90)
    assert raw.pool == "io"
    assert raw.queue == "fast"
    assert raw.execution_timeout == datetime.timedelta(minutes=5)
    assert raw.priority_weight == 7
    assert raw.doc_md.startswith("Raw rows from a *slow* source.\n\nRetried, pooled and queued.")
    cleaned = dag.get_task("cleaned")
    assert cleaned.retry_exponential_backoff and cleaned.max_active_tis_per_dag == 2
    assert cleaned.max_retry_delay == datetime.timedelta(minutes=10)
    assert (cleaned.pool_slots, cleaned.weight_rule) == (2, "upstream")
    plain = dag.get_task("plain")
    assert plain.retries == 0 and plain.pool == "default_pool"  # DAG defaults where no tag says otherwise
    assert "`tests.resources.airflow.tagged.plain`" in plain.doc_md
    assert "Airflow task settings from @tag" in dag.doc_md


def test_a_dag_whose_pipeline_changed_fails_and_says_recompile(compile_dag, run_dag, tmp_path, monkeypatch) -> None:
    name = f"stale_pipeline_{uuid.uuid4().hex[:8]}"
    source = tmp_path / "src" / f"{name}.py"
    source.parent.mkdir()
    source.write_text("def answer(x: int = 1) -> int:\n    return x + 1\n")
    monkeypatch.syspath_prepend(str(source.parent))
    path = compile_dag(name, "stale_pipeline")
    assert run_dag(path).outputs == {"answer": 2}

    source.write_text("def answer(x: int = 1) -> int:\n    return x + 20\n")
    monkeypatch.delitem(sys.modules, name)  # a worker imports the code as it is now
    result = run_dag(path, expect="failed")

    (task,) = result.instances("answer")
    assert task.state == "failed"
    assert "pipeline changed since this DAG was compiled: recompile" in task.error


def test_node_names_that_clash_with_dag_file_or_context_names_still_run(compile_dag, run_dag, local) -> None:
    module = "tests.resources.airflow.awkward"
    path = compile_dag(module, "awkward", final_vars=["ti"])
    result = run_dag(path, logical_date=datetime.datetime(2025, 3, 4, tzinfo=datetime.timezone.utc))

    assert result.outputs == local(module, ["ti"], {"ds": "2025-03-04"})
    assert [t.label for t in result.instances("chunk")] == ["dag=0", "dag=1", "dag=2"]


def test_dag_settings_from_the_project_reach_airflow_and_callbacks_run(compile_dag, run_dag, tmp_path, monkeypatch):
    record = "tests.resources.airflow.callbacks:record"
    path = compile_dag(
        "tests.resources.airflow.tagged",
        "configured",
        description="Tagged rows, configured",
        max_active_runs=1,
        max_active_tasks=3,
        dagrun_timeout="1h",
        tags=["hamilflow", "rows"],
        on_failure_callback=record,
        default_args={"owner": "data-eng", "retry_delay": "2m", "on_success_callback": record},
        adapters=["tests.resources.airflow.callbacks:printers"],
    )
    _, dag = load_dag(path)
    assert dag.description == "Tagged rows, configured"
    assert (dag.max_active_runs, dag.max_active_tasks) == (1, 3)
    assert dag.dagrun_timeout == datetime.timedelta(hours=1)
    assert set(dag.tags) == {"hamilflow", "rows"}
    plain = dag.get_task("plain")
    assert plain.owner == "data-eng" and plain.retry_delay == datetime.timedelta(minutes=2)
    assert dag.get_task("raw").retry_delay == datetime.timedelta(seconds=90)  # a tag wins over default_args

    calls = tmp_path / "callbacks.txt"
    monkeypatch.setenv("HAMILFLOW_TEST_CALLBACKS", str(calls))
    run_dag(path)
    assert sorted(calls.read_text().split("\n")[:-1]) == ["success cleaned", "success plain", "success raw"]


def test_an_owner_and_a_trigger_rule_by_tag(compile_dag, pipeline_source) -> None:
    name = pipeline_source(
        "from hamilton.function_modifiers import tag\n\n\n"
        "@tag(airflow_owner='alice', airflow_trigger_rule='none_failed_min_one_success')\n"
        "def answer() -> int:\n    return 42\n"
    )
    _, dag = load_dag(compile_dag(name, "owned"))
    task = dag.get_task("answer")
    assert task.owner == "alice" and task.trigger_rule == "none_failed_min_one_success"


def test_a_projects_params_and_config_reach_the_compiled_dag(run_dag, tmp_path) -> None:
    from hamilflow.compiler import compile_pipeline
    from hamilflow.project_config import read_project_text

    project = read_project_text(
        f"""
        [tool.hamilflow]
        dags_folder = "{tmp_path}"

        [tool.hamilflow.dags.configured_sum]
        modules = ["tests.resources.airflow.configured"]
        params = {{ size = 5 }}
        config = {{ method = "sum" }}

        [tool.hamilflow.dags.configured_max]
        modules = ["tests.resources.airflow.configured"]
        params = {{ size = 4 }}
        config = {{ method = "max" }}
        """.replace("\n        ", "\n"),
        "pyproject.toml",
    )
    summaries = {}
    for dag_id, options in project.dags.items():
        path = compile_pipeline(options).write()
        _, dag = load_dag(path)
        assert dag.params["size"] == options.params["size"]  # a DAG param, with the project's default
        summaries[dag_id] = run_dag(path).outputs["summary"]
    # the config chose which variant of summary each DAG runs: sum(1..5) and max(1..4)
    assert summaries == {"configured_sum": 15, "configured_max": 4}


def test_failure_callbacks_of_the_dag_and_of_its_tasks_run_when_a_node_fails(
    compile_dag, run_dag, pipeline_source, tmp_path, monkeypatch
) -> None:
    name = pipeline_source(
        "def fine() -> int:\n    return 1\n\n\ndef broken(fine: int) -> int:\n    raise RuntimeError('no rows today')\n"
    )
    path = compile_dag(
        name,
        "failing_with_callbacks",
        on_failure_callback="tests.resources.airflow.callbacks:record_dag",
        default_args={"on_failure_callback": "tests.resources.airflow.callbacks:record"},
    )
    calls = tmp_path / "callbacks.txt"
    monkeypatch.setenv("HAMILFLOW_TEST_CALLBACKS", str(calls))
    result = run_dag(path, expect="failed")

    assert [t.state for t in result.instances("broken")] == ["failed"]
    assert sorted(calls.read_text().splitlines()) == ["dag failed failing_with_callbacks", "failed broken"]


def test_more_dag_and_task_settings_reach_the_parsed_dag_and_it_runs(compile_dag, run_dag, pipeline_source) -> None:
    from airflow.dag_processing.dagbag import DagBag

    name = pipeline_source(
        "from hamilton.function_modifiers import tag\n\n\n"
        "@tag(airflow_email='oncall@example.com', airflow_email_on_failure='true', airflow_email_on_retry='false',\n"
        "     airflow_depends_on_past='true', airflow_wait_for_downstream='true')\n"
        "def first() -> int:\n    return 1\n\n\n"
        "def second(first: int) -> int:\n    return first + 1\n"
    )
    path = compile_dag(
        name,
        "more_settings",
        end_date="2030-12-31",
        doc_md="# Team notes\n\nAsk in #data-eng.",
        dag_display_name="More settings",
        is_paused_upon_creation=False,
        owner_links={"data-eng": "https://wiki.example.com/data-eng", "ops": "mailto:ops@example.com"},
        max_consecutive_failed_dag_runs=3,
        fail_fast=True,
        default_args={"email": ["a@example.com", "b@example.com"], "email_on_failure": False},
    )
    bag = DagBag(dag_folder=str(path.parent))
    assert bag.import_errors == {}
    _, dag = load_dag(path)
    assert dag.end_date == datetime.datetime(2030, 12, 31, tzinfo=datetime.timezone.utc)
    assert dag.doc_md.startswith("more_settings\n\n# Team notes\n\nAsk in #data-eng.\n\n")
    assert "Compiled by hamilflow: 2 tasks" in dag.doc_md  # the user's notes come first, hamilflow's after
    assert dag.dag_display_name == "More settings"
    assert dag.is_paused_upon_creation is False
    assert dag.owner_links == {"data-eng": "https://wiki.example.com/data-eng", "ops": "mailto:ops@example.com"}
    assert (dag.max_consecutive_failed_dag_runs, dag.fail_fast) == (3, True)

    first, second = dag.get_task("first"), dag.get_task("second")
    assert first.email == "oncall@example.com" and first.email_on_failure and not first.email_on_retry
    assert first.depends_on_past and first.wait_for_downstream
    assert second.email == ["a@example.com", "b@example.com"]  # default_args, where no tag says otherwise
    assert not second.email_on_failure and second.email_on_retry  # the latter Airflow's default
    assert not second.depends_on_past and not second.wait_for_downstream
    assert run_dag(path).outputs == {"second": 2}


@pytest.fixture
def pipeline_source(tmp_path, monkeypatch):
    """Writes a pipeline module into an importable folder; returns its import name."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names = []

    def write(source: str) -> str:
        name = f"settings_case_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(source)
        names.append(name)
        return name

    yield write
    for name in names:
        sys.modules.pop(name, None)
