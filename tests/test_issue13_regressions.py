"""Issue 13, rechecked: what the issue saw fail, each as a test that failed before its fix.

Most items have their own tests elsewhere (tests/test_bad_input.py, tests/test_compiler.py,
tests/test_cli.py, tests/faults/); this file holds the ones that had none, and the compiler's
side of per-node time limits.
"""

from __future__ import annotations

import sys
import textwrap
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
def _import_dag_file(path: Path) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"dag_file_{uuid.uuid4().hex[:8]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_docstring_with_nul_controls_backslashes_and_a_lone_surrogate_makes_a_file_that_imports(
    pipeline_module, tmp_path
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
    dag_file = _import_dag_file(path)
    assert doc in dag_file.__doc__  # the backslashes mean what they meant
    task_doc = next(line for line in compiled.source.splitlines() if "nul " in line)
    assert "\\x00" in task_doc and "\\ud800" in task_doc and "\0" not in compiled.source


@pytest.mark.parametrize("dag_id", ["ｔａｓｋ", "a½"])
def test_a_dag_id_that_is_not_an_ascii_name_still_makes_a_file_that_imports(pipeline_module, tmp_path, dag_id) -> None:
    name = pipeline_module("def a(x: int = 1) -> int:\n    return x\n")
    path = tmp_path / "d.py"
    path.write_text(_compile(name, dag_id=dag_id))
    _import_dag_file(path)


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
