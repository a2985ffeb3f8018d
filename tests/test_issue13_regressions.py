"""Issue 13, rechecked: what the issue saw fail, each as a test that failed before its fix.

Most items have their own tests elsewhere (tests/test_bad_input.py, tests/test_compiler.py,
tests/test_cli.py, tests/faults/); this file holds the ones that had none, and the compiler's
side of per-node time limits.
"""

from __future__ import annotations

import sys
import textwrap
import types
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from hamilflow.compiler import CompileError, CompileOptions, compile_pipeline


@pytest.fixture
def pipeline_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], str]]:
    """Writes a pipeline module under a unique importable name; forgets it after the test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names: list[str] = []

    def write(source: str) -> str:
        name = f"issue13_case_{uuid.uuid4().hex[:10]}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        names.append(name)
        return name

    yield write
    for name in names:
        sys.modules.pop(name, None)


def _compile(module: str, dag_id: str = "d", **options) -> str:
    return compile_pipeline(CompileOptions(modules=[module], dag_id=dag_id, **options)).source


# ------------------------------------------------------------------ per-node time limits on Airflow
TIMED = """
from hamilflow.function_modifiers import tag
from hamilflow.htypes import Collect, Parallelizable

@tag(timeout="90s")
def a() -> int:
    return 1

@tag(timeout="1m")
def b(a: int) -> int:
    return a

@tag(timeout="5m", airflow_execution_timeout="2h")
def c(b: int) -> int:
    return b

def items(c: int) -> Parallelizable[int]:
    yield from range(c)

@tag(timeout="10s")
def each(items: int) -> int:
    return items

def total(each: Collect[int]) -> int:
    return sum(each)
"""


def test_a_timeout_tag_becomes_the_tasks_execution_timeout(pipeline_module) -> None:
    source = _compile(pipeline_module(TIMED))
    assert "execution_timeout=datetime.timedelta(seconds=90)" in source  # a
    assert "execution_timeout=datetime.timedelta(seconds=60)" in source  # b
    assert "execution_timeout=datetime.timedelta(seconds=7200)" in source  # c: the Airflow tag wins
    assert "seconds=300" not in source
    # a mapped instance may run several items: its limit is enforced per item by the runtime instead
    assert "seconds=10)" not in source


def test_nodes_run_as_one_task_add_their_limits(pipeline_module) -> None:
    chain = TIMED.split('@tag(timeout="5m"')[0]  # a and b only
    source = _compile(pipeline_module(chain), grouping="chains")
    assert "def a__b():" in source
    assert "execution_timeout=datetime.timedelta(seconds=150)" in source  # a then b, in one task


def test_a_bad_timeout_tag_is_a_compile_error_naming_the_node(pipeline_module) -> None:
    name = pipeline_module(
        """
        from hamilflow.function_modifiers import tag

        @tag(timeout="soon")
        def a() -> int:
            return 1
        """
    )
    with pytest.raises(CompileError, match=r"@tag\(timeout='soon'\) on 'a' \(.*line .*'soon' is not a duration"):
        _compile(name)


def test_the_runtime_stops_a_block_node_at_its_limit_per_item(pipeline_module, tmp_path) -> None:
    """What an Airflow task runs: the node's own limit interrupts item 2 (the task has no execution_timeout)."""
    from hamilflow.execution.timeouts import NodeTimeoutError
    from hamilflow.runtime.task import list_block_chunks, run_task

    name = pipeline_module(
        """
        import time
        from hamilflow.function_modifiers import tag
        from hamilflow.htypes import Collect, Parallelizable

        def items(n: int = 4) -> Parallelizable[int]:
            yield from range(n)

        @tag(timeout="1s")
        def each(items: int) -> int:
            if items == 2:
                time.sleep(3600)
            return items

        def total(each: Collect[int]) -> int:
            return sum(each)
        """
    )
    compiled = compile_pipeline(
        CompileOptions(modules=[name], dag_id="t", output=str(tmp_path / "t.py"), store_url=str(tmp_path / "store"))
    )
    assert "execution_timeout" not in compiled.source
    spec = compiled.spec
    run_task(spec, "items", "r", {"n": 4})
    chunks = list_block_chunks(spec, "items", "r", 1024)
    with pytest.raises(NodeTimeoutError, match=r"node 'each' \(.*line .*limit of 1 s") as caught:
        for chunk in chunks:
            run_task(spec, "each", "r", {"n": 4}, chunk, 1024)
    assert "alarm" in str(caught.value)


# ------------------------------------------------------------------ compile reports success but the file is broken
# Imports a compiled DAG file in this process, as Airflow's dag-processor does. Airflow reads its configuration
# once per process, when first imported: the session's embedded Airflow is prepared first, so that a test of this
# file that runs a DAG (dag.test()) after one that imported a DAG file still can.
@pytest.fixture
def import_dag_file(airflow_home: Path) -> Callable[[Path], Any]:
    import importlib.util

    def load(path: Path) -> Any:
        spec = importlib.util.spec_from_file_location(f"dag_file_{uuid.uuid4().hex[:8]}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def test_a_docstring_with_nul_controls_backslashes_and_a_lone_surrogate_makes_a_file_that_imports(
    pipeline_module, tmp_path, import_dag_file
) -> None:
    name = pipeline_module(
        'r"""Data in C:\\New\\x and \\N{x} \\u12."""\n'
        "\n"
        "def a(x: int = 1) -> int:\n"
        '    """nul \\0, bell \\a, return \\r, a lone \\ud800, ""\\" quotes."""\n'
        "    return x\n"
    )
    module = __import__(name)
    doc = module.__doc__
    compiled = compile_pipeline(CompileOptions(modules=[name], dag_id="d"))
    path = tmp_path / "d.py"
    path.write_text(compiled.source, encoding="utf-8")  # a lone surrogate once made this raise
    assert compiled.source.isascii() or "\ud800" not in compiled.source
    dag_file = import_dag_file(path)
    assert doc in dag_file.__doc__  # the backslashes mean what they meant
    task_doc = next(line for line in compiled.source.splitlines() if "nul " in line)
    assert "\\x00" in task_doc and "\\ud800" in task_doc and "\0" not in compiled.source


@pytest.mark.parametrize("dag_id", ["ｔａｓｋ", "a½"])
def test_a_dag_id_that_is_not_an_ascii_name_still_makes_a_file_that_imports(
    pipeline_module, tmp_path, import_dag_file, dag_id
) -> None:
    name = pipeline_module("def a(x: int = 1) -> int:\n    return x\n")
    path = tmp_path / "d.py"
    path.write_text(_compile(name, dag_id=dag_id))
    import_dag_file(path)


def test_names_outside_ascii_stay_readable_in_the_file_unless_python_would_fold_them(
    pipeline_module, tmp_path, import_dag_file
) -> None:
    name = pipeline_module("def größe() -> int:\n    return 1\n\n\ndef 数量(größe: int) -> int:\n    return größe\n")
    source = _compile(name, dag_id="ｔａｓｋ_größe")  # fullwidth 'task', which Python would read as task
    assert "def größe():" in source and "def 数量(" in source  # as the user wrote them
    assert "def _____größe():" in source  # fullwidth letters are not kept: Python would read them as task
    path = tmp_path / "d.py"
    path.write_text(source)
    import_dag_file(path)


@pytest.mark.parametrize(
    "source, params",
    [
        ("def a(x: int = 1.5) -> int:\n    return x\n", {}),
        ("def a(seed: int) -> int:\n    return seed\n", {"seed": "eleven"}),
    ],
)
def test_a_param_default_of_the_wrong_type_is_a_compile_error(pipeline_module, source, params) -> None:
    with pytest.raises(CompileError, match="integer|int"):
        _compile(pipeline_module(source), params=params)


def test_a_bad_max_map_length_names_the_variable(monkeypatch) -> None:
    from hamilflow.errors import SettingError
    from hamilflow.runtime.airflow import max_map_length

    monkeypatch.setenv("AIRFLOW__CORE__MAX_MAP_LENGTH", "abc")
    with pytest.raises(SettingError, match="AIRFLOW__CORE__MAX_MAP_LENGTH"):
        max_map_length()


BLOCK_WITH_PARAM = """
from hamilflow.function_modifiers import tag
from hamilflow.htypes import Collect, Parallelizable

def item(n: int = 3) -> Parallelizable[int]:
    yield from range(n)

@tag(airflow_retry_delay="5s")
def squared(item: int) -> int:
    return item * item

@tag(timeout="1m")
def total(squared: Collect[int]) -> int:
    return sum(squared)
"""


@pytest.mark.airflow
@pytest.mark.parametrize("dag_id", ["task", "pipeline", "timedelta", "dag", "SPEC"])
def test_a_dag_id_named_like_a_name_the_file_uses_imports_and_runs(
    pipeline_module, compile_dag, import_dag_file, run_dag, dag_id
) -> None:
    """The file's own names (``task``, ``dag``, ``pipeline``, ``SPEC``, ``datetime.timedelta``) stay its own."""
    path = compile_dag(pipeline_module(BLOCK_WITH_PARAM), dag_id)
    module = import_dag_file(path)
    assert module.pipeline.__class__.__name__ == "CompiledPipeline" and module.SPEC["dag_id"] == dag_id
    result = run_dag(path, run_conf={"n": 4})
    assert result.dag_id == dag_id and result.outputs == {"total": 0 + 1 + 4 + 9}


def _module_named(name: str, source: str) -> types.ModuleType:
    """A module made in code, as ``types.ModuleType`` makes one: its name can be anything, a newline too."""
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, "<pipeline>", "exec"), module.__dict__)
    for value in vars(module).values():
        if isinstance(value, types.FunctionType):
            value.__module__ = name
    return module


def test_a_node_name_with_a_trailing_newline_is_refused_at_compile() -> None:
    module = _module_named(f"issue13_newline_{uuid.uuid4().hex[:8]}", "def a(x: int = 1) -> int:\n    return x\n")
    module.a.__name__ = "a\n"  # what a `def` cannot write, and `re.match('...$')` let through as a task id
    try:
        with pytest.raises(CompileError) as caught:
            _compile(module.__name__)
    finally:
        sys.modules.pop(module.__name__)
    message = str(caught.value)
    assert "node 'a\\n'" in message and "control character '\\n'" in message and "rename it" in message


def test_a_dag_id_with_a_trailing_newline_is_refused_at_compile() -> None:
    module = _module_named(f"issue13_dag_id_{uuid.uuid4().hex[:8]}", "def a(x: int = 1) -> int:\n    return x\n")
    try:
        with pytest.raises(CompileError, match=r"dag id 'd\\n' is not valid in Airflow"):
            _compile(module.__name__, dag_id="d\n")  # `re.match('...$')` let it through, into the file
    finally:
        sys.modules.pop(module.__name__)


INFINITE = """
def capped(x: float = float("inf"), limit: float = 1.0) -> float:
    return min(x, limit)
"""


def test_an_infinite_default_and_param_infinity_write_a_file_that_imports_and_reads_back(
    pipeline_module, tmp_path, import_dag_file, capsys
) -> None:
    from hamilflow.cli import main

    name = pipeline_module(INFINITE)
    path = tmp_path / "inf.py"
    assert main(["compile", "-m", name, "--dag-id", "inf", "--output", str(path), "--param", "limit=Infinity"]) == 0
    source = path.read_text()
    assert '"limit": float("inf")' in source  # in SPEC's compile options, which --check reads back
    module = import_dag_file(path)
    params = module.inf_dag.params
    assert params["x"] == float("inf") and params["limit"] == float("inf")
    assert main(["compile", "--check", str(path)]) == 0  # the SPEC read back (a float("inf") call once broke it)
    assert "up to date" in capsys.readouterr().out


def test_a_duration_tag_is_written_exactly(pipeline_module) -> None:
    name = pipeline_module(
        """
        from hamilflow.function_modifiers import tag

        @tag(airflow_execution_timeout="1234567s", airflow_retry_delay="1234567.5s")
        def a() -> int:
            return 1
        """
    )
    source = _compile(name)
    assert "execution_timeout=datetime.timedelta(seconds=1234567)," in source  # not 1234570
    assert "retry_delay=datetime.timedelta(seconds=1234567.5)," in source


# ------------------------------------------------------------------ names that reach the generated source
INJECTED = 'import pathlib; pathlib.Path("{marker}").touch()'


def test_a_config_when_name_with_a_newline_is_refused_and_no_file_is_written(pipeline_module, tmp_path) -> None:
    from hamilflow.cli import main

    marker = tmp_path / "injected"
    payload = "score\\n" + INJECTED.format(marker=marker).replace('"', '\\"') + "\\n#"
    name = pipeline_module(
        f"""
        from hamilton.function_modifiers import config

        @config.when(name="{payload}", mode="fast")
        def score__fast() -> int:
            return 1

        def report(x: int = 1) -> int:
            return x
        """
    )
    with pytest.raises(CompileError) as caught:
        _compile(name, grouping="all", config={"mode": "fast"})
    message = str(caught.value)
    assert "node 'score\\nimport pathlib" in message and f"({name}.score__fast (line 4))" in message
    assert "control character '\\n'" in message and "@config.when(name=...)" in message
    path = tmp_path / "d.py"
    args = ["compile", "-m", name, "--dag-id", "d", "--output", str(path), "--grouping", "all"]
    assert main([*args, "--config", "mode=fast"]) == 2
    assert not path.exists() and not marker.exists()


def test_a_module_named_with_a_newline_is_refused_and_no_file_is_written(tmp_path) -> None:
    from hamilflow.cli import main

    marker = tmp_path / "injected"
    name = "pipeline\n" + INJECTED.format(marker=marker) + "\n#"
    _module_named(name, "def a(x: int = 1) -> int:\n    return x\n")
    path = tmp_path / "d.py"
    try:
        with pytest.raises(CompileError, match=r"module 'pipeline\\nimport pathlib.*control character '\\n'"):
            _compile(name)
        assert main(["compile", "-m", name, "--dag-id", "d", "--output", str(path)]) == 2
    finally:
        sys.modules.pop(name)
    assert not path.exists() and not marker.exists()
