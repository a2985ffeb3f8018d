"""A project's DAG settings in pyproject.toml / hamilflow.toml: compile them all, check them all, every key checked."""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from hamilflow.cli import main
from hamilflow.compiler import embedded_spec
from hamilflow.errors import SettingError
from hamilflow.project_config import read_project, read_project_text

PIPELINE = '''
    """A small daily pipeline."""
    from hamilton.function_modifiers import tag


    @tag(airflow_owner="alice", airflow_trigger_rule="none_failed")
    def doubled(x: int = 2) -> int:
        """Twice x."""
        return 2 * x


    def total(doubled: int) -> int:
        return doubled + 1
'''

HOOKS = """
    from hamilton.lifecycle import default

    NOT_CALLABLE = 3


    def alert(context):
        return context


    def printers():
        return [default.PrintLn()]


    printer = default.PrintLn()
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A project folder with a package of its own (a pipeline and hooks), as the current folder."""
    package = f"proj_{uuid.uuid4().hex[:8]}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "pipe.py").write_text(textwrap.dedent(PIPELINE))
    (tmp_path / package / "hooks.py").write_text(textwrap.dedent(HOOKS))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(toml: str, name: str = "pyproject.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(toml).replace("PKG", package))
        return path

    write.package = package
    write.folder = tmp_path
    yield write
    for module in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[module]


SETTINGS = """
    [project]
    name = "someone-else"

    [tool.hamilflow.dags.tiny]
    modules = ["PKG.pipe"]
    outputs = ["total"]
    schedule = "@daily"
    start_date = 2024-03-01
    description = "A tiny DAG"
    max_active_runs = 1
    max_active_tasks = 4
    dagrun_timeout = "2h"
    tags = ["team-a"]
    on_failure_callback = "PKG.hooks:alert"
    adapters = ["PKG.hooks:printers", "PKG.hooks:printer"]
    params = { x = 5 }
    default_args = { owner = "data-eng", retries = 2, retry_delay = "5m", on_retry_callback = "PKG.hooks:alert" }

    [tool.hamilflow.dags.other]
    modules = "PKG.pipe"
    output = "elsewhere/other_dag.py"
"""


def test_compile_with_no_arguments_compiles_every_configured_dag_and_check_checks_them(project, capsys) -> None:
    project(SETTINGS)
    assert main(["compile"]) == 0
    assert capsys.readouterr().out.split() == ["wrote", "airflow_dags/tiny.py", "wrote", "elsewhere/other_dag.py"]
    text = Path("airflow_dags/tiny.py").read_text()
    for expected in (
        'description="A tiny DAG"',
        "max_active_runs=1",
        "max_active_tasks=4",
        "dagrun_timeout=datetime.timedelta(seconds=7200)",
        f'on_failure_callback=callback("{project.package}.hooks:alert")',
        '"owner": "data-eng"',
        '"retry_delay": datetime.timedelta(seconds=300)',
        'tags=["hamilflow", "team-a"]',
        "datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)",
        '    @task(\n        owner="alice",\n        trigger_rule="none_failed",',
    ):
        assert expected in text, expected
    spec = embedded_spec("airflow_dags/tiny.py")
    assert spec["adapters"] == [f"{project.package}.hooks:printers", f"{project.package}.hooks:printer"]
    assert "adapters" not in embedded_spec("elsewhere/other_dag.py")  # none configured: none recorded

    assert main(["compile", "--check"]) == 0
    assert "airflow_dags/tiny.py: up to date" in capsys.readouterr().out

    # a reviewed change of the settings makes the file stale, and says what compiling would change
    project(SETTINGS.replace("max_active_runs = 1", "max_active_runs = 3"))
    assert main(["compile", "--check"]) == 1
    err = capsys.readouterr().err
    assert "airflow_dags/tiny.py: stale" in err and "+    max_active_runs=3," in err
    assert "Run: hamilflow compile --dag-id tiny" in err
    assert main(["compile", "--dag-id", "tiny"]) == 0
    assert capsys.readouterr().out.strip() == "wrote airflow_dags/tiny.py"
    assert main(["compile", "--check"]) == 0


def test_check_reports_a_configured_dag_never_compiled(project, capsys) -> None:
    project(SETTINGS)
    assert main(["compile", "--dag-id", "other"]) == 0
    assert main(["compile", "--check"]) == 1
    assert "airflow_dags/tiny.py: missing" in capsys.readouterr().err


def test_every_unknown_or_mistyped_key_is_reported_at_once_with_the_closest_key(project, capsys) -> None:
    project(
        """
        [tool.hamilflow]
        dag_folder = "dags"

        [tool.hamilflow.dags.tiny]
        modules = ["PKG.pipe"]
        outpts = ["total"]
        owner = "me"
        catchup = "yes"
        max_active_runs = "one"
        """
    )
    assert main(["compile"]) == 2
    err = capsys.readouterr().err
    assert "4 problems" not in err and "5 problems" in err
    assert "unknown key 'dag_folder' in [tool.hamilflow]. Did you mean 'dags_folder'?" in err
    assert "[tool.hamilflow.dags.tiny] of pyproject.toml: unknown key 'outpts'. Did you mean 'outputs'?" in err
    assert "unknown key 'owner'. It is a task setting: put it in default_args" in err
    assert "catchup = 'yes' must be true or false" in err
    assert "max_active_runs = 'one' must be a whole number" in err


def test_bad_values_callbacks_and_adapters_are_named_with_their_dag(project, capsys) -> None:
    project(
        """
        [tool.hamilflow.dags.tiny]
        modules = ["PKG.pipe"]
        max_active_runs = 0
        dagrun_timeout = "soon"
        on_failure_callback = "PKG.hooks:NOT_CALLABLE"
        on_success_callback = "PKG.no_such_module:alert"
        adapters = ["PKG.hooks:alert", "PKG.hooks:printer", "PKG.hooks"]
        default_args = { ownr = "x", retry_delay = "later", trigger_rule = "all_done" }
        """
    )
    assert main(["compile"]) == 2
    err = capsys.readouterr().err
    assert "Cannot compile DAG 'tiny' of [tool.hamilflow.dags.tiny] of pyproject.toml (9 problems)" in err
    for expected in (
        "max_active_runs 0: it must be at least 1.",
        "dagrun_timeout 'soon': 'soon' is not a duration",
        ":NOT_CALLABLE' names a value of type int, not a function Airflow can call.",
        ".no_such_module:alert': module '",
        ":alert' could not be called without arguments",
        "hooks' is not an import path: write it as 'package.module:name'",
        "default_args: unknown task setting 'ownr'. Did you mean 'owner'?",
        "default_args retry_delay = 'later': 'later' is not a duration",
        "default_args trigger_rule = 'all_done': hamilflow tasks take the trigger rules all_success, none_failed",
    ):
        assert expected in err, expected
    assert "printer" not in err.split("could not be called")[1].split("\n")[0]  # the good adapter is not a problem


def test_a_hamilflow_toml_holds_the_same_tables_and_one_file_only_may_configure_dags(project, capsys) -> None:
    project(
        """
        dags_folder = "dags"

        [dags.tiny]
        modules = ["PKG.pipe"]
        """,
        "hamilflow.toml",
    )
    project('[project]\nname = "x"\n')  # a pyproject.toml without hamilflow settings is not a second config
    assert main(["compile"]) == 0
    assert capsys.readouterr().out.strip() == "wrote dags/tiny.py"

    project("[tool.hamilflow.dags.tiny]\nmodules = ['PKG.pipe']\n")
    with pytest.raises(SettingError, match="both hamilflow.toml and pyproject.toml configure hamilflow DAGs"):
        read_project()


def test_compile_without_modules_or_settings_says_what_to_do(project, capsys) -> None:
    assert main(["compile"]) == 2
    assert "or DAGs configured in pyproject.toml ([tool.hamilflow.dags.<dag_id>])" in capsys.readouterr().err
    project(SETTINGS)
    assert main(["compile", "--dag-id", "tny"]) == 2
    assert "no DAG 'tny' is configured in pyproject.toml. Did you mean 'tiny'?" in capsys.readouterr().err


def test_the_adapter_option_records_import_paths_in_the_spec(project, capsys) -> None:
    package = project.package
    assert main(["compile", "-m", f"{package}.pipe", "--dag-id", "d", "--adapter", f"{package}.hooks:printer"]) == 0
    assert embedded_spec("airflow_dags/d.py")["adapters"] == [f"{package}.hooks:printer"]
    assert main(["compile", "--check", "airflow_dags/d.py"]) == 0
    assert main(["compile", "-m", f"{package}.pipe", "--dag-id", "d", "--adapter", "json:dumps"]) == 2
    assert "adapter 'json:dumps' could not be called without arguments" in capsys.readouterr().err


def test_invalid_toml_is_one_message() -> None:
    with pytest.raises(SettingError, match="pyproject.toml is not valid TOML"):
        read_project_text("[tool.hamilflow\n", "pyproject.toml")
    assert read_project_text('[project]\nname = "x"\n', "pyproject.toml") is None


def test_compile_warns_when_a_module_imports_only_from_the_current_folder(tmp_path, monkeypatch, capsys) -> None:
    name = f"here_only_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text("def answer() -> int:\n    return 42\n")
    monkeypatch.chdir(tmp_path)
    try:
        assert main(["compile", "-m", name, "--dag-id", "d"]) == 0
        err = capsys.readouterr().err
        assert f"warning: module '{name}' imports here only because '{name}' is in the current folder" in err
        assert "put" in err and "on their PYTHONPATH" in err

        monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # as the workers would be told
        assert main(["compile", "-m", name, "--dag-id", "d"]) == 0
        assert "warning" not in capsys.readouterr().err
    finally:
        sys.modules.pop(name, None)


def test_the_other_dag_settings_of_the_wrong_type_are_refused_each_with_its_fix(project, capsys) -> None:
    project(
        """
        [tool.hamilflow.dags.tiny]
        modules = ["PKG.pipe"]
        doc_md = 3
        is_paused_upon_creation = "no"
        fail_fast = 1
        end_date = 2024-03-01T10:00:00
        """
    )
    assert main(["compile"]) == 2
    err = capsys.readouterr().err
    assert "4 problems" in err
    for expected in (
        "doc_md = 3 must be text.",
        "is_paused_upon_creation = 'no' must be true or false.",
        "fail_fast = 1 must be true or false.",
        "end_date = datetime.datetime(2024, 3, 1, 10, 0) must be a date.",
    ):
        assert expected in err, expected

    project(
        """
        [tool.hamilflow.dags.tiny]
        modules = ["PKG.pipe"]
        start_date = 2024-03-01
        end_date = 2024-02-01
        dag_display_name = " "
        owner_links = { alice = "wiki/alice", ops = "mailto:ops@example.com" }
        max_consecutive_failed_dag_runs = 0
        default_args = { email = "nobody", email_on_failure = "maybe", wait_for_downstream = "sometimes" }
        """
    )
    assert main(["compile"]) == 2
    err = capsys.readouterr().err
    assert "(7 problems)" in err
    for expected in (
        "end_date 2024-02-01 is before start_date 2024-03-01: the DAG would never run",
        "dag_display_name ' ': give text that is not empty.",
        "owner_links alice = 'wiki/alice': Airflow takes a link with a scheme and a host",
        "max_consecutive_failed_dag_runs 0: it must be at least 1.",
        "default_args email = 'nobody': 'nobody' is not an email address: give one, or a list of them",
        "default_args email_on_failure = 'maybe': 'maybe' is not a boolean: use True or False.",
        "default_args wait_for_downstream = 'sometimes': 'sometimes' is not a boolean",
    ):
        assert expected in err, expected
    assert "owner_links ops" not in err  # a mailto: link is a link


def test_a_fail_fast_dag_with_a_task_that_is_not_all_success_is_refused(project, capsys) -> None:
    project("[tool.hamilflow.dags.tiny]\nmodules = ['PKG.pipe']\nfail_fast = true\n")
    assert main(["compile"]) == 2
    err = capsys.readouterr().err
    assert "fail_fast = true: Airflow runs a fail_fast DAG only if every task has the trigger rule all_success" in err
    assert "and doubled does not" in err and "Leave fail_fast out for this DAG." in err

    project(
        "[tool.hamilflow.dags.tiny]\nmodules = ['PKG.pipe']\nfail_fast = true\n"
        "default_args = { trigger_rule = 'none_failed_min_one_success' }\n"
    )
    assert main(["compile"]) == 2
    assert "and doubled, total do not" in capsys.readouterr().err  # default_args give total its rule


def test_task_settings_by_tag_of_the_wrong_type_are_refused_with_the_node(module_from_source) -> None:
    from hamilflow.compiler import CompileError, CompileOptions, compile_pipeline

    module = module_from_source(
        "from hamilton.function_modifiers import tag\n\n\n"
        "@tag(airflow_email='oncall', airflow_depends_on_past='perhaps')\n"
        "def answer() -> int:\n    return 42\n"
    )
    with pytest.raises(CompileError) as raised:
        compile_pipeline(CompileOptions(modules=[module.__name__], dag_id="d"))
    text = str(raised.value)
    assert "@tag(airflow_email='oncall') on 'answer'" in text and "'oncall' is not an email address" in text
    assert "@tag(airflow_depends_on_past='perhaps') on 'answer'" in text and "'perhaps' is not a boolean" in text


MORE_SETTINGS = """
    [tool.hamilflow.dags.tiny]
    modules = ["PKG.pipe"]
    end_date = 2030-12-31
    doc_md = "Team notes: ask in #data-eng."
    dag_display_name = "Tiny"
    is_paused_upon_creation = false
    fail_fast = false
    owner_links = { data-eng = "https://wiki.example.com/data-eng" }
    max_consecutive_failed_dag_runs = 2

    [tool.hamilflow.dags.tiny.default_args]
    email = ["a@example.com"]
    email_on_retry = false
    depends_on_past = true
    wait_for_downstream = true
"""


def test_the_other_dag_settings_are_written_and_kept_so_check_recompiles_them(project, capsys) -> None:
    project(MORE_SETTINGS)
    assert main(["compile"]) == 0
    text = Path("airflow_dags/tiny.py").read_text()
    for expected in (
        '"""tiny\n\nTeam notes: ask in #data-eng.\n\nA small daily pipeline.',
        "end_date=datetime.datetime(2030, 12, 31, tzinfo=datetime.timezone.utc),",
        'dag_display_name="Tiny",',
        "is_paused_upon_creation=False,",  # false is a setting, not the absence of one
        "fail_fast=False,",
        'owner_links={"data-eng": "https://wiki.example.com/data-eng"},',
        "max_consecutive_failed_dag_runs=2,",
        '"depends_on_past": True,',
        '"email": ["a@example.com"],',
        '"email_on_retry": False,',
        '"wait_for_downstream": True,',
    ):
        assert expected in text, expected
    assert main(["compile", "--check"]) == 0
    capsys.readouterr()

    project(MORE_SETTINGS.replace("is_paused_upon_creation = false", "is_paused_upon_creation = true"))
    assert main(["compile", "--check"]) == 1
    assert "+    is_paused_upon_creation=True," in capsys.readouterr().err
