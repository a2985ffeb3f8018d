"""Plans: their tasks, their round trip through JSON, and a fingerprint that tracks the code."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

from hamilflow.execution.plan import Plan, Read, ReadKind, build_plan
from hamilflow.graph import FunctionGraph
from tests.resources.dynamic import map_reduce, multi_collect, nested

ROOT = Path(__file__).resolve().parent.parent
NESTED_OUTPUTS = ["grid", "grand_total", "cube"]


def plan_of(module: types.ModuleType, outputs: list[str], **kwargs) -> Plan:
    return build_plan(FunctionGraph.from_modules(module), outputs, **kwargs)


def test_the_seed_map_reduce_plans_three_tasks() -> None:
    plan = plan_of(map_reduce, ["total_words"])
    url, work, total = plan.tasks
    assert (url.name, url.nodes, url.path, url.reads, url.outputs) == ("url", ("url",), (), (), ("url",))
    assert url.expanders == ("url",) and url.lists_own_chunks
    assert (work.name, work.nodes, work.path, work.outputs) == (
        "url_loaded__counts", ("url_loaded", "counts"), ("url",), ("counts",),
    )  # fmt: skip
    assert work.reads == (Read("url", ReadKind.ITEM, 0, "url"),) and work.upstream == ("url",)
    assert work.drops == (("url",), ("url_loaded",))  # each value goes after its last reader; counts is returned
    assert total.reads == (Read("counts", ReadKind.COLLECT, 0, "url_loaded__counts", block="url"),)
    assert total.upstream == ("url_loaded__counts",) and not total.lists_own_chunks
    assert url.holds == (("url", 0),)  # the block's tasks read url's items: kept until the block is open
    assert plan.value_paths == {"url": ("url",), "url_loaded": ("url",), "counts": ("url",), "total_words": ()}
    assert plan.producer == {"url": "url", "url_loaded": "url_loaded__counts", "counts": "url_loaded__counts",
                             "total_words": "total_words"}  # fmt: skip
    assert plan.collected_in == {"url": ("counts",)}
    assert plan.tasks_at == {(): ("url", "total_words"), ("url",): ("url_loaded__counts",)}


def test_reads_of_every_kind_and_their_depths() -> None:
    plan = plan_of(nested, NESTED_OUTPUTS)
    kinds = {(t.name, r.value): (r.kind, r.depth) for t in plan.tasks for r in t.reads}
    assert set(kinds.values()) >= {(ReadKind.ITEM, 0), (ReadKind.ITEM, 1), (ReadKind.COLLECT, 0), (ReadKind.COLLECT, 1)}
    for task in plan.tasks:
        for read in task.reads:
            assert read.producer == plan.producer[read.value]
            assert read.gathers == (read.kind in (ReadKind.COLLECT, ReadKind.ALL_ITEMS))
            if read.gathers:
                assert read.block == plan.value_paths[read.value][-1] and read.depth < len(plan.value_paths[read.value])


def test_only_a_top_level_task_with_one_expander_lists_its_own_chunks() -> None:
    plan = plan_of(nested, NESTED_OUTPUTS)
    for task in plan.tasks:
        assert task.lists_own_chunks == (not task.path and len(task.expanders) == 1), task.name
    assert any(t.expanders and t.path for t in plan.tasks)  # an inner block: listed by an items task


def test_overridden_nodes_are_not_planned_and_become_external_inputs() -> None:
    plan = plan_of(multi_collect, ["summary"], overrides=["pairs"])
    assert plan.overrides == ("pairs",)
    assert "pairs" not in plan.producer
    (summary,) = [t for t in plan.tasks if t.name == "summary"]
    assert summary.external == ("pairs",) and summary.inputs == ("mixed",)
    assert not any(t.name in {"a_cube"} or "a_cube" in t.nodes for t in plan.tasks)  # only pairs needed it


def test_to_dict_from_dict_round_trips_through_json() -> None:
    for module, outputs in [(map_reduce, ["total_words"]), (nested, NESTED_OUTPUTS), (multi_collect, ["summary"])]:
        plan = plan_of(module, outputs)
        text = json.dumps(plan.to_dict())
        again = Plan.from_dict(json.loads(text))
        assert again == plan
        assert again.fingerprint == plan.fingerprint
        assert again.task == plan.task and all(isinstance(t.path, tuple) for t in again.tasks)


def test_the_fingerprint_is_stable_across_builds() -> None:
    first, second = plan_of(nested, NESTED_OUTPUTS), plan_of(nested, NESTED_OUTPUTS)
    assert first is not second and first.fingerprint == second.fingerprint
    assert len(first.fingerprint) == 16
    assert plan_of(nested, ["grid"]).fingerprint != first.fingerprint  # another request, another plan


FINGERPRINT_SCRIPT = """
import sys, textwrap, types
from hamilflow.execution.plan import build_plan
from hamilflow.graph import FunctionGraph
from tests.resources.dynamic import nested
module = types.ModuleType("made_at_runtime")
exec(textwrap.dedent(sys.argv[1]), module.__dict__)
print(build_plan(FunctionGraph.from_modules(nested), {outputs!r}).fingerprint)
print(build_plan(FunctionGraph.from_modules(module), ["total"]).fingerprint)
"""

RUNTIME_SOURCE = """
    from hamilflow.htypes import Collect, Parallelizable

    def item(n: int) -> Parallelizable[int]:
        return [i for i in range(n)]  # a comprehension and a lambda: nested code objects

    def doubled(item: int) -> int:
        return (lambda x: 2 * x)(item)

    def total(doubled: Collect[int]) -> int:
        return sum(doubled)
"""


def fingerprints_in_a_subprocess(source: str, hash_seed: str) -> list[str]:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    script = FINGERPRINT_SCRIPT.format(outputs=NESTED_OUTPUTS)
    done = subprocess.run(
        [sys.executable, "-c", script, source], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_the_fingerprint_is_stable_across_processes() -> None:
    """Also for functions built with exec, whose code objects nest (their repr holds addresses)."""
    first = fingerprints_in_a_subprocess(RUNTIME_SOURCE, "1")
    second = fingerprints_in_a_subprocess(RUNTIME_SOURCE, "2")
    assert first == second
    assert first[0] == plan_of(nested, NESTED_OUTPUTS).fingerprint


def _import_file(path: Path, name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fingerprint_changes_when_a_functions_source_changes(tmp_path: Path) -> None:
    path = tmp_path / "edited_pipeline.py"
    source = textwrap.dedent(RUNTIME_SOURCE)
    path.write_text(source)
    before = build_plan(FunctionGraph.from_modules(_import_file(path, "edited_pipeline")), ["total"])
    path.write_text(source.replace("2 * x", "3 * (x)"))
    after = build_plan(FunctionGraph.from_modules(_import_file(path, "edited_pipeline")), ["total"])
    assert before.tasks == after.tasks  # same structure ...
    assert before.fingerprint != after.fingerprint  # ... other code

    def from_exec(text: str) -> Plan:
        module = types.ModuleType("made_at_runtime")
        exec(textwrap.dedent(text), module.__dict__)
        return build_plan(FunctionGraph.from_modules(module), ["total"])

    assert from_exec(RUNTIME_SOURCE).fingerprint == from_exec(RUNTIME_SOURCE).fingerprint
    assert from_exec(RUNTIME_SOURCE).fingerprint != from_exec(RUNTIME_SOURCE.replace("2 * x", "3 * x")).fingerprint


def test_fingerprint_false_skips_the_code_digest() -> None:
    plan = plan_of(map_reduce, ["total_words"], fingerprint=False)
    assert plan.code_digest == "" and plan == plan_of(map_reduce, ["total_words"])


@pytest.mark.parametrize("outputs", [["grid"], NESTED_OUTPUTS])
def test_every_task_reads_only_values_planned_before_it(outputs: list[str]) -> None:
    plan = plan_of(nested, outputs)
    seen: set[str] = set()
    for task in plan.tasks:
        assert set(task.inputs) <= seen, task
        seen.update(task.outputs)
    assert set(outputs) <= seen


def test_the_fingerprint_of_a_sourceless_module_is_the_same_in_every_process(tmp_path) -> None:
    # a .pyc-only module: no source to read, so its code objects are hashed; a set literal compiles to a
    # frozenset whose order follows string hashing, which differs between processes (PYTHONHASHSEED)
    source = tmp_path / "sourceless_pipeline.py"
    source.write_text(
        "def kind(name: str) -> str:\n"
        "    return 'fruit' if name in {'apple', 'pear', 'plum', 'fig', 'kiwi', 'lime'} else 'other'\n"
    )
    import py_compile

    py_compile.compile(str(source), cfile=str(tmp_path / "sourceless_pipeline.pyc"))
    source.unlink()
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import sourceless_pipeline\n"
        "from hamilflow.execution.plan import build_plan\n"
        "from hamilflow.graph import FunctionGraph\n"
        "print(build_plan(FunctionGraph.from_modules(sourceless_pipeline), ['kind']).fingerprint)\n"
    )
    prints = {
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            cwd=ROOT,
        ).stdout.strip()
        for seed in (1, 2, 3, 4)
    }
    assert len(prints) == 1 and len(next(iter(prints))) == 16


BASE = '''
from hamilflow.function_modifiers import tag


@tag(owner="a")
def b(a: int, scale: int = 2) -> int:
    """Doc."""
    return (
        a
        * scale
    )


def c(b: int) -> int:
    def inner(x):
        return x + 1

    return inner(b)
'''


@pytest.mark.parametrize(
    "change",
    [
        ('owner="a"', 'owner="z"'),  # a decorator
        ("scale: int = 2", "scale: int = 3"),  # a default
        ("        * scale\n", "        + scale\n"),  # the middle of a multi-line expression
        ("return x + 1", "return x + 2"),  # a nested function's body
        ('"""Doc."""', '"""Other doc."""'),  # its docstring
    ],
)
def test_the_fingerprint_follows_every_line_of_each_function_from_its_file(tmp_path, monkeypatch, change) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))

    def fingerprint(source: str, name: str) -> str:
        (tmp_path / f"{name}.py").write_text(source)
        spec = importlib.util.spec_from_file_location(name, tmp_path / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)  # Hamilton's decorators look their module up
        spec.loader.exec_module(module)
        return build_plan(FunctionGraph.from_modules(module), ["c"]).fingerprint

    same = fingerprint(BASE + "\n\nUNRELATED = 1\n", "fp_same")
    assert fingerprint(BASE, "fp_base") == same  # code outside the functions is not theirs
    assert fingerprint(BASE.replace(*change), "fp_changed") != same
