"""The compiler: what it writes into a DAG file, and everything it refuses before a file exists."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from hamilflow.compiler import CompileError, CompileOptions, check_dag_file, compile_pipeline, embedded_options
from hamilflow.errors import HamilflowError
from hamilflow.runtime.spec import PipelineSpec

REPO = Path(__file__).resolve().parents[1]
PIPELINES = {
    "word_count": ["examples.word_count.pipeline"],
    "features": ["examples.features.pipeline"],
    "nested": ["examples.nested.pipeline"],
    "blocks_and_cube": ["tests.resources.airflow.blocks", "tests.resources.airflow.cube"],
    "many": ["tests.resources.airflow.many"],
    "tagged": ["tests.resources.airflow.tagged"],
    "namespaced": ["tests.resources.airflow.namespaced"],
    "inputs": ["tests.resources.airflow.inputs"],
}
GROUPINGS = ["default", "chains", "all", "individual"]


# Writes a pipeline module into tmp_path under a unique importable name; forgets it after the test.
@pytest.fixture
def pipeline_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], str]]:
    monkeypatch.syspath_prepend(str(tmp_path))
    names: list[str] = []

    def write(source: str) -> str:
        name = f"compiler_case_{uuid.uuid4().hex[:10]}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        names.append(name)
        return name

    yield write
    for name in names:
        sys.modules.pop(name, None)


def _compile(modules: list[str] | str, dag_id: str = "d", **options) -> str:
    modules = [modules] if isinstance(modules, str) else modules
    return compile_pipeline(CompileOptions(modules=modules, dag_id=dag_id, **options)).source


def _problems(modules: list[str] | str, **options) -> str:
    with pytest.raises(CompileError) as caught:
        _compile(modules, **options)
    return str(caught.value)


def test_the_committed_dag_files_are_current_whatever_path_they_are_checked_by() -> None:
    for path in sorted((REPO / "airflow_dags").glob("*.py")):
        assert check_dag_file(path) is None
        assert check_dag_file(path.relative_to(REPO)) is None


@pytest.mark.parametrize("grouping", GROUPINGS)
@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_the_dag_file_is_python_that_wires_each_task_after_its_upstream(name, grouping) -> None:
    source = _compile(PIPELINES[name], name, grouping=grouping)
    tree = ast.parse(source)
    (dag_function,) = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    defined = {n.name for n in dag_function.body if isinstance(n, ast.FunctionDef)}
    assigned = {a.asname or a.name for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    for statement in dag_function.body:
        if isinstance(statement, ast.FunctionDef):
            continue
        used = {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        assert used - defined <= assigned, f"{ast.unparse(statement)} uses a value not computed yet"
        assigned |= {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    assert _compile(PIPELINES[name], name, grouping=grouping) == source  # deterministic


def _dag_function(source: str) -> ast.FunctionDef:
    (dag_function,) = [n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    return dag_function


def _runtime_call(function: ast.FunctionDef) -> ast.Call:
    """The one call to the runtime in a task function's body: ``pipeline.run(...)`` or ``pipeline.items(...)``."""
    (statement,) = [s for s in function.body if isinstance(s, (ast.Expr, ast.Return))]
    return statement.value


def _stated_edges(dag_function: ast.FunctionDef) -> set[tuple[str, str]]:
    """The edges the file states between task functions: ``x = f.expand(chunk=y)``, ``a >> b``, ``[a, b] >> c``."""
    made_by: dict[str, str] = {}  # task instance variable -> its task function
    edges = set()
    for statement in dag_function.body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call):
            call, (target,) = statement.value, statement.targets
            if isinstance(call.func, ast.Attribute):  # f.expand(chunk=y): the real data flow of a mapped task
                (chunk,) = call.keywords
                made_by[target.id] = call.func.value.id
                edges.add((made_by[chunk.value.id], call.func.value.id))
            elif call.func.id != "TaskGroup":
                made_by[target.id] = call.func.id
        elif isinstance(statement, ast.Expr) and isinstance(statement.value, ast.BinOp):
            left, right = statement.value.left, statement.value.right
            assert isinstance(statement.value.op, ast.RShift)
            edges |= {(made_by[u.id], made_by[right.id]) for u in (left.elts if isinstance(left, ast.List) else [left])}
    return edges


@pytest.mark.parametrize("grouping", GROUPINGS)
@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_the_file_says_what_happens_no_ignored_argument_and_every_edge_stated(name, grouping) -> None:
    compiled = compile_pipeline(CompileOptions(modules=PIPELINES[name], dag_id=name, grouping=grouping))
    plan, dag_function = compiled.plan, _dag_function(compiled.source)
    functions = {n.name: n for n in dag_function.body if isinstance(n, ast.FunctionDef)}
    runs = {}  # task function -> ("run", plan task) or ("items", expander)
    expanded = {
        n.func.value.id
        for n in ast.walk(dag_function)
        if isinstance(n, ast.Call) and n.keywords and isinstance(n.func, ast.Attribute) and n.func.attr == "expand"
    }
    for function in functions.values():
        call = _runtime_call(function)
        runs[function.name] = (call.func.attr, call.args[0].value)
        arguments = [a.arg for a in function.args.args]
        # a task takes no argument, but a mapped task its chunk, which it hands to the runtime
        assert arguments == (["chunk"] if function.name in expanded else []), ast.unparse(function)
        assert [ast.unparse(a) for a in call.args[1:]] == arguments
        # it returns something (to XCom) only when that is the chunks mapped tasks expand over
        returns = isinstance(function.body[-1], ast.Return)
        lists = call.func.attr == "items" or plan.task[call.args[0].value].lists_own_chunks
        assert returns == lists, ast.unparse(function)
        decorator = function.decorator_list[0]
        task_ids = [k.value.value for k in getattr(decorator, "keywords", []) if k.arg == "task_id"]
        assert task_ids != [function.name]  # TaskFlow takes the id from the function's name
    assert sorted(name for kind, name in runs.values() if kind == "run") == sorted(plan.task)
    function_of = {name: function for function, (kind, name) in runs.items() if kind == "run"}
    edges = _stated_edges(dag_function)
    for a, b in edges:  # every edge stands for a value that flows
        (kind_a, a_name), (kind_b, b_name) = runs[a], runs[b]
        if kind_a == "items":
            assert plan.task[b_name].path[-1] == a_name  # b is mapped over the items a lists
        elif kind_b == "items":
            assert b_name in plan.task[a_name].expanders  # b lists the items of a block a opens
        else:
            a_task, b_task = plan.task[a_name], plan.task[b_name]
            mapped_over_a = a_task.lists_own_chunks and b_task.path[-1:] == a_task.expanders
            assert a_name in b_task.upstream or mapped_over_a, (a, b)
    reaches = {f: {b for a, b in edges if a == f} for f in functions}
    for _ in functions:  # the transitive closure, at most one round per task
        reaches = {f: targets.union(*(reaches[t] for t in targets)) for f, targets in reaches.items()}
    for task in plan.tasks:  # and every value that flows has an edge, direct or through an items task
        for upstream in task.upstream:
            assert function_of[task.name] in reaches[function_of[upstream]], (upstream, task.name)


def test_compiled_files_pass_ruff_check_and_ruff_format_with_the_project_settings(pipeline_module, tmp_path) -> None:
    pytest.importorskip("ruff")
    every_type = pipeline_module(
        '''
        """Params of every type, text that needs escapes: "quotes", 'single', \\backslash, ünïcode."""

        def report(
            name: str = 'say "hi"',
            times: int = 2,
            ratio: float = 0.5,
            loud: bool = False,
            words: list = [],
            table: dict = {},
            limit: int | None = None,
        ) -> str:
            """A docstring line long enough to be split over two lines of the DAG file: it goes on and on and on."""
            return f"{name}{times}{ratio}{loud}{words}{table}{limit}"
        '''
    )
    dags = tmp_path / "dags"
    cases = [
        ("word_count", "default", {}),
        ("nested", "default", {}),
        ("nested", "individual", {}),
        ("blocks_and_cube", "chains", {}),
        ("namespaced", "default", {}),
        ("namespaced", "all", {}),
        ("inputs", "default", {"schedule": "0 6 * * *", "retries": 2}),
        ("tagged", "chains", {}),
    ]
    for name, grouping, options in cases:
        output = str(dags / f"{name}_{grouping}.py")
        compile_pipeline(
            CompileOptions(modules=PIPELINES[name], dag_id=name, grouping=grouping, output=output, **options)
        ).write()
    params = {"words": ["a", "b"], "table": {"k": [1, None]}, "limit": 3}
    config = {"sql": "select * from a_table_with_a_long_name where " + " and ".join(["x = 1"] * 20)}
    path = dags / "every_type.py"
    compile_pipeline(
        CompileOptions(modules=[every_type], dag_id="every-type.v2", params=params, config=config, output=str(path))
    ).write()
    for command in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [sys.executable, "-m", "ruff", *command, "--config", str(REPO / "pyproject.toml"), str(dags)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"ruff {' '.join(command)}:\n{done.stdout}{done.stderr}"


def test_the_file_does_not_depend_on_where_it_is_written() -> None:
    a = _compile(PIPELINES["nested"], "nested", output="a/nested.py")
    b = _compile(PIPELINES["nested"], "nested", output="/elsewhere/b.py")
    assert a == b


def test_external_inputs_become_typed_params_and_context_values() -> None:
    compiled = compile_pipeline(CompileOptions(modules=["tests.resources.airflow.inputs"], dag_id="inputs"))
    assert compiled.spec.params == ("name", "times", "ratio", "loud", "words", "limit")
    assert set(compiled.spec.context_inputs) == {
        "logical_date",
        "data_interval_start",
        "ds",
        "run_id",
        "dag_id",
        "task_id",
        "try_number",
        "run_after",
    }
    source = compiled.source
    assert '"times": Param(2, type="integer", description="input of settings (int)"),' in source
    assert '"words": Param(["a", "b"], type="array"' in source
    assert '"limit": Param(None, type=["integer", "null"]' in source  # a None default stays valid
    assert '"logical_date"' not in source.split("params={")[1].split("},")[0]


def test_param_defaults_come_from_options_and_required_inputs_from_config(pipeline_module) -> None:
    name = pipeline_module(
        """
        def total(x: int, scale: float = 1.0) -> float:
            return x * scale
        """
    )
    source = _compile(name, params={"x": 3, "scale": 2.5})
    assert '"x": Param(3, type="integer"' in source and '"scale": Param(2.5, type="number"' in source
    compiled = compile_pipeline(CompileOptions(modules=[name], dag_id="d", config={"x": 3}))
    assert compiled.spec.params == ("scale",) and compiled.spec.config == {"x": 3}


def test_a_required_input_without_a_value_names_the_input_and_its_node(pipeline_module) -> None:
    name = pipeline_module(
        """
        def cleaned(raw_path: str) -> str:
            return raw_path.strip()
        """
    )
    message = _problems(name)
    assert "input 'raw_path' (str), required by 'cleaned'" in message
    assert "--param raw_path=VALUE" in message and "--config raw_path=VALUE" in message


def test_an_input_with_different_defaults_needs_one_chosen(pipeline_module) -> None:
    name = pipeline_module(
        """
        def a(n: int = 1) -> int:
            return n

        def b(a: int, n: int = 2) -> int:
            return a + n
        """
    )
    message = _problems(name, final_vars=["b"])
    assert "input 'n' has different defaults in 'a' (1), 'b' (2)" in message
    assert "--param n=VALUE" in message
    _compile(name, final_vars=["b"], params={"n": 5})


def test_task_ids_airflow_would_refuse_are_compile_errors(pipeline_module) -> None:
    long_name = "x" * 251
    name = pipeline_module(f"def {long_name}() -> int:\n    return 1\n")
    assert f"task id '{long_name}' is not valid in Airflow" in _problems(name)
    assert "dag id 'my dag' is not valid" in _problems(name, dag_id="my dag")


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("airflow_retires='2'", "unknown Airflow task setting 'retires'"),
        ("airflow_retry_delay='5 minutes'", "'5 minutes' is not a duration"),
        ("airflow_execution_timeout='0s'", "execution timeout of 0"),
        ("airflow_retries='-1'", "at least 0"),
        ("airflow_retries='2.5'", "not a whole number"),
        ("airflow_pool_slots='0'", "at least 1"),
        ("airflow_weight_rule='heaviest'", "weight rules are downstream, upstream, absolute"),
        ("airflow_retry_exponential_backoff='maybe'", "not a boolean"),
        ("airflow_pool=''", "must not be empty"),
    ],
)
def test_bad_airflow_tags_are_compile_errors_naming_the_tag(pipeline_module, tag, expected) -> None:
    name = pipeline_module(
        f"""
        from hamilflow.function_modifiers import tag

        @tag({tag})
        def step() -> int:
            return 1
        """
    )
    message = _problems(name)
    assert f"@tag({tag.split('=')[0]}=" in message and "'step'" in message
    assert expected in message


def test_nodes_run_as_one_task_must_agree_on_text_settings_and_take_the_largest_limits(
    pipeline_module, tmp_path
) -> None:
    name = pipeline_module(
        """
        from hamilflow.function_modifiers import tag

        @tag(airflow_pool="io", airflow_retries="1")
        def a() -> int:
            return 1

        @tag(airflow_pool="{pool}", airflow_retries="3", airflow_execution_timeout="1m")
        def b(a: int) -> int:
            return a
        """
    )
    module_file = tmp_path / f"{name}.py"
    module_file.write_text(module_file.read_text().replace("{pool}", "cpu"))
    assert "conflicts with 'io'" in _problems(name, grouping="chains")
    assert 'pool="cpu"' in _compile(name)  # one task per node: no conflict

    module_file.write_text(module_file.read_text().replace("cpu", "io"))
    sys.modules.pop(name, None)
    source = _compile(name, grouping="chains")
    assert "def a__b():" in source
    assert "retries=3" in source and "execution_timeout=datetime.timedelta(seconds=60)" in source


def test_graph_errors_surface_at_compile_time() -> None:
    message = _problems("tests.resources.core.cycle", final_vars=["a"])
    assert "cycle: " in message
    assert "Did you mean 'total_words'" in _problems("examples.word_count.pipeline", final_vars=["total_word"])
    assert "cannot import module 'no.such.module'" in _problems("no.such.module")


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"params": {"corpuss": "empty"}}, "--param corpuss: not a DAG param"),
        ({"config": {"when": object()}}, "config 'when'"),
        ({"schedule": "every day"}, "not a valid cron expression"),
        ({"schedule": "@fortnightly"}, "not an Airflow preset"),
        ({"start_date": "01/02/2024"}, "start date '01/02/2024' is not a date"),
        ({"grouping": "clusters"}, "unknown grouping 'clusters'"),
    ],
)
def test_bad_dag_options_are_compile_errors(options, expected) -> None:
    message = _problems("examples.word_count.pipeline", **options)
    assert expected in message
    if "params" in options:
        assert "Did you mean 'corpus'" in message


def test_good_schedules_compile() -> None:
    for schedule in ("0 6 * * *", "@daily", None):
        expected = "schedule=None," if schedule is None else f'schedule="{schedule}",'
        assert expected in _compile("examples.word_count.pipeline", schedule=schedule)


def test_docstrings_become_task_docs_and_unused_imports_stay_out(pipeline_module) -> None:
    source = _compile(PIPELINES["tagged"], "tagged")
    assert '"Raw rows from a *slow* source.\\n\\n"' in source
    assert "(no docstring)" not in source
    assert "from airflow.sdk import Param, dag, task" in source
    name = pipeline_module("def answer() -> int:\n    return 42\n")
    no_params = _compile(name)
    assert "from airflow.sdk import dag, task" in no_params and "timedelta" not in no_params


def test_a_file_of_a_changed_pipeline_is_stale(pipeline_module, tmp_path) -> None:
    name = pipeline_module("def answer() -> int:\n    return 1\n")
    path = compile_pipeline(CompileOptions(modules=[name], dag_id="d", output=str(tmp_path / "d.py"))).write()
    assert check_dag_file(path) is None

    (tmp_path / f"{name}.py").write_text("def answer() -> int:\n    return 42\n")
    sys.modules.pop(name)
    stale = check_dag_file(path)
    assert stale.startswith(f"{path}: stale — the code of a function its tasks run has changed (its tasks, edges")
    assert stale.endswith(f"\nRun: hamilflow compile --recompile {path}")
    assert '-    "fingerprint": ' in stale and '+    "fingerprint": ' in stale  # what differs, as a diff
    (tmp_path / f"{name}.py").write_text("def answer() -> int:\n    return 42\n\n\ndef other() -> int:\n    return 1\n")
    sys.modules.pop(name)
    reshaped = check_dag_file(path)  # a new leaf: another task, not only other code
    assert reshaped.startswith(f"{path}: stale — compiling now would write another DAG:\n")
    (tmp_path / f"{name}.py").write_text("def answer(x) -> int:\n    return x\n")
    sys.modules.pop(name)
    assert "no longer compiles" in check_dag_file(path)


COMMENTED = """\
def answer(x: int = 1) -> int:
    \"\"\"The answer.\"\"\"
    return x + 1
"""


@pytest.mark.parametrize(
    "edit",
    [
        ("    return x + 1\n", "    # one more than x\n    return x + 1  # '#' in a comment\n"),
        ("def answer", "# a comment above the function\n\n\ndef answer"),
        ("int = 1) -> int:\n", "int = 1) -> int:  # the signature\n"),
    ],
    ids=["comment-lines-inside", "comment-above", "trailing-comment"],
)
def test_a_comment_only_edit_is_not_stale_and_workers_still_run_the_file(pipeline_module, tmp_path, edit) -> None:
    from hamilflow.runtime.spec import PipelineSpec
    from hamilflow.runtime.task import LoadedPipeline

    name = pipeline_module(COMMENTED)
    compiled = compile_pipeline(CompileOptions(modules=[name], dag_id="d", output=str(tmp_path / "d.py")))
    path = compiled.write()
    (tmp_path / f"{name}.py").write_text(COMMENTED.replace(*edit))
    sys.modules.pop(name)
    assert check_dag_file(path) is None
    LoadedPipeline(PipelineSpec.from_dict(compiled.dag.spec))  # the fingerprint check of every task passes

    for changed in (COMMENTED.replace("x + 1", "x + 2"), COMMENTED.replace("The answer.", "The answer, now.")):
        (tmp_path / f"{name}.py").write_text(changed)  # code and docs are what the DAG runs and shows
        sys.modules.pop(name)
        assert "stale" in check_dag_file(path)


def test_only_files_written_by_the_compiler_can_be_checked(tmp_path) -> None:
    other = tmp_path / "handmade.py"
    other.write_text("from airflow.sdk import dag\n")
    with pytest.raises(HamilflowError, match="not written by hamilflow compile"):
        check_dag_file(other)


def test_the_spec_constant_keeps_the_options_and_the_runtime_spec(tmp_path) -> None:
    options = CompileOptions(
        modules=["examples.word_count.pipeline"],
        dag_id="wc",
        final_vars=["total_words"],
        params={"corpus": "empty"},
        schedule="@daily",
        retries=2,
        tags=["hamilflow", "words"],
        output=str(tmp_path / "wc.py"),
    )
    compiled = compile_pipeline(options)
    compiled.write()
    assert embedded_options(compiled.path) == options
    tree = ast.parse(compiled.source)
    (spec,) = [s.value for s in tree.body if isinstance(s, ast.Assign) and s.targets[0].id == "SPEC"]
    assert PipelineSpec.from_dict(ast.literal_eval(spec)) == compiled.spec  # what the runtime reads
    assert len(ast.unparse(spec).splitlines()) == 1 and len(compiled.source.splitlines()[0]) <= 120
    # no outputs asked: the pipeline's leaves, taken again by each recompile
    leaves = CompileOptions(modules=["examples.word_count.pipeline"], dag_id="wc", output=str(tmp_path / "leaves.py"))
    assert embedded_options(compile_pipeline(leaves).write()).final_vars == []


def test_compile_options_are_read_from_the_spec_constant_never_from_text_that_imitates_it(tmp_path) -> None:
    options = CompileOptions(["examples.word_count.pipeline"], "wc", ["total_words"], output=str(tmp_path / "wc.py"))
    path = compile_pipeline(options).write()
    imitation = '# hamilflow-compile: {"modules": ["os"], "dag_id": "evil"}\nSPEC = {"dag_id": "evil"}\n'
    path.write_text(path.read_text().replace('"""wc\n', '"""wc\n' + imitation, 1))  # inside the docstring
    assert embedded_options(path) == options
    assert "stale" in check_dag_file(path)  # the file differs from what the compiler writes
    handmade = tmp_path / "handmade.py"
    handmade.write_text(f'"""{imitation}"""\n\nfrom airflow.sdk import dag\n')
    with pytest.raises(HamilflowError, match="not written by hamilflow compile"):
        embedded_options(handmade)
    handmade.write_text('SPEC = \'{"dag_id": "wc"}\'\n')  # the JSON text of older DAG files
    with pytest.raises(HamilflowError, match="older hamilflow compile"):
        embedded_options(handmade)


def test_items_per_task_comes_from_the_expanders_tag_else_the_option_and_is_checked(pipeline_module) -> None:
    name = pipeline_module(
        """
        from hamilflow.function_modifiers import tag
        from hamilflow.htypes import Collect, Parallelizable

        @tag(airflow_items_per_task="1")
        def heavy(n: int = 3) -> Parallelizable[int]:
            yield from range(n)

        def light(m: int = 3) -> Parallelizable[int]:
            yield from range(m)

        @tag(airflow_max_active_tis_per_dag="2")
        def slow(heavy: int) -> int:
            return heavy

        def quick(light: int) -> int:
            return light

        def total(slow: Collect[int], quick: Collect[int]) -> int:
            return sum(slow) + sum(quick)
        """
    )
    compiled = compile_pipeline(CompileOptions(modules=[name], dag_id="d", items_per_task=50))
    assert compiled.spec.chunking == {
        "heavy": {"items_per_task": 1, "max_active_tis_per_dag": 2},
        "light": {"items_per_task": 50},
    }
    auto = compile_pipeline(CompileOptions(modules=[name], dag_id="d"))
    assert auto.spec.chunking["light"] == {"items_per_task": 0}
    assert CompileOptions.from_embedded(compiled.dag.spec).items_per_task == 50  # --recompile keeps it

    assert "--items-per-task 0: it must be at least 1" in _problems(name, items_per_task=0)


@pytest.mark.parametrize(
    ("tagged", "value", "expected"),
    [("after", "1", "goes on the function that returns Parallelizable[]"), ("step", "many", "not a whole number")],
)
def test_a_misplaced_or_bad_items_per_task_tag_is_a_compile_error(pipeline_module, tagged, value, expected) -> None:
    tags = {name: f'@tag(airflow_items_per_task="{value}")' if name == tagged else "" for name in ("step", "after")}
    name = pipeline_module(
        f"""
        from hamilflow.function_modifiers import tag
        from hamilflow.htypes import Collect, Parallelizable

        {tags["step"]}
        def step(x: int) -> Parallelizable[int]:
            return [x]

        {tags["after"]}
        def after(step: int) -> int:
            return step

        def total(after: Collect[int]) -> int:
            return sum(after)
        """
    )
    message = _problems(name, params={"x": 1})
    assert "@tag(airflow_items_per_task=" in message and f"'{tagged}'" in message and expected in message


def test_a_block_never_collected_is_refused_unless_only_nodes_outside_it_are_requested(pipeline_module) -> None:
    name = pipeline_module(
        """
        from hamilflow.htypes import Parallelizable

        def item(items: list) -> Parallelizable[int]:
            return items

        def squared(item: int) -> int:
            return item * item

        def other(items: list) -> int:
            return len(items)
        """
    )
    # the default outputs (the leaves) would silently leave the block's functions out of the DAG
    message = _problems(name)
    assert f"the Parallelizable block of 'item' ({name}.item (line 4)) is never collected" in message
    assert "def total(squared: Collect[...])" in message and "request only nodes outside it" in message
    assert "def other():" in _compile(name, final_vars=["other"], params={"items": [1]})


VARIANTS = """
from hamilton.function_modifiers import config

@config.when(mode="fast")
def score__fast() -> int:
    return 1

@config.when(mode="exact")
def score__exact() -> int:
    return 2

def report(score: int{default}) -> str:
    return f"score {{score}}"
"""


def test_a_config_key_missing_at_compile_names_the_key_and_the_variants_not_a_param(pipeline_module) -> None:
    name = pipeline_module(VARIANTS.format(default=""))
    message = _problems(name)
    assert "input 'score', required by 'report'" in message
    assert "(mode not set)" in message
    assert f"{name}.score__fast (line 4) needs mode='fast'; {name}.score__exact (line 8) needs mode='exact'" in message
    assert "When compiling: --config mode=fast" in message
    assert "has no value: give the DAG param a default" not in message  # the old answer: a param named after a node
    # a config that selects another value says what it has
    assert "(the config has mode='slow')" in _problems(name, config={"mode": "slow"})
    assert _compile(name, config={"mode": "fast"})
    assert '"score": Param(5' in _compile(name, params={"score": 5})  # asked for explicitly: a param it is


def test_a_deselected_input_with_a_default_makes_no_param_and_the_default_applies_as_in_the_driver(
    pipeline_module, tmp_path
) -> None:
    from hamilflow import base, driver
    from hamilflow.errors import HamilflowWarning
    from hamilflow.runtime.task import read_outputs, run_task

    name = pipeline_module(VARIANTS.format(default=" = 3"))
    with pytest.warns(HamilflowWarning, match=r"input 'score', read by 'report'.*\(mode not set\).*--config mode=fast"):
        compiled = compile_pipeline(
            CompileOptions(modules=[name], dag_id="d", store_url=str(tmp_path / "store"), final_vars=["report"])
        )
    assert compiled.spec.params == () and "Param(" not in compiled.source
    run_task(compiled.spec, "report", "r", {})
    expected = driver.Driver({}, sys.modules[name], adapter=base.DefaultAdapter()).execute(["report"])
    assert read_outputs(compiled.spec, "r") == expected == {"report": "score 3"}


def test_a_comment_writes_characters_that_could_end_it_as_escapes() -> None:
    from hamilflow.compiler.pyformat import comment

    lines = comment("Reads a\nimport os, b\r\x00\u2028c.", 8)
    assert lines == ["        # Reads a\\nimport os, b\\r\\x00\\u2028c."]
    compile("\n".join(["if True:", *lines, "    pass"]), "<comment>", "exec")  # one comment line, nothing more
