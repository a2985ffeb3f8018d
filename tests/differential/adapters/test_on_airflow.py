"""Lifecycle adapters, loaders and savers inside compiled Airflow tasks, against Apache Hamilton (``dag.test()``).

The DAG files run on the session's embedded Airflow (``tests/airflow_fixtures.py``): the two
examples' committed DAG files, and DAGs compiled here. A compiled DAG names its adapters and
materializers by import path (``compile --adapter``, ``--materializer``); every task runs with
the adapters, so a recorder's calls are written by the task that ran each node and read back
from a file, and each saver is a task whose files are compared with the ones Hamilton writes.
"""

from __future__ import annotations

import functools
import importlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from hamilton.lifecycle import default

from tests.airflow_fixtures import REPO
from tests.differential import harness as corpus
from tests.differential.adapters import airflow_adapters, harness, recorders
from tests.differential.io import harness as io_harness

pytestmark = pytest.mark.airflow

GRACEFUL = "examples.graceful_parallel.pipeline"
CSV = "examples.csv_validate_parquet.pipeline"


# The session's embedded Airflow, prepared before the first test of this module runs.
@pytest.fixture(autouse=True)
def _embedded_airflow(airflow_home: Path) -> Path:
    return airflow_home


def test_graceful_parallel_dag_reports_the_failed_cities_as_hamilton_does(run_dag) -> None:
    """Each task runs with the GracefulErrorAdapter the DAG was compiled with: the unavailable cities'
    mapped instances succeed with None, the collector sees every city, and the DAG run succeeds."""
    from hamilton import driver as hamilton_driver

    pipeline = importlib.import_module(GRACEFUL)
    expected = (
        hamilton_driver.Builder()
        .with_modules(pipeline)
        .with_adapters(*pipeline.graceful_errors())
        .enable_dynamic_execution(allow_experimental_mode=True)
        .build()
        .execute(["report"])
    )
    result = run_dag(REPO / "airflow_dags" / "graceful_parallel.py")

    assert result.outputs == expected and expected["report"]["missing"] == 2
    assert {t.state for t in result.tasks} == {"success"}


def test_csv_validate_parquet_dag_writes_the_file_hamilton_writes(run_dag, tmp_path) -> None:
    """The saver is a task of its own; the Parquet file it writes has Hamilton's bytes."""
    from hamilton import driver as hamilton_driver

    inputs = {"readings_file": str(REPO / "examples/csv_validate_parquet/readings.csv")}
    outputs = ["saved_summary", "summary", "temperature_c_range_validator", "humidity_pct_range_validator"]
    (tmp_path / "hamilton").mkdir()
    (tmp_path / "airflow").mkdir()
    dr = hamilton_driver.Builder().with_modules(importlib.import_module(CSV)).build()
    expected = dr.execute(outputs, inputs={**inputs, "summary_file": str(tmp_path / "hamilton" / "s.parquet")})

    result = run_dag(
        REPO / "airflow_dags" / "csv_validate_parquet.py",
        run_conf={**inputs, "summary_file": str(tmp_path / "airflow" / "s.parquet")},
    )

    got = dict(result.outputs)
    pd.testing.assert_frame_equal(got.pop("summary"), expected.pop("summary"))
    assert io_harness.normalised(got, tmp_path / "airflow") == io_harness.normalised(expected, tmp_path / "hamilton")
    assert (tmp_path / "airflow" / "s.parquet").read_bytes() == (tmp_path / "hamilton" / "s.parquet").read_bytes()
    assert [t.state for t in result.instances("saved_summary")] == ["success"]


@pytest.mark.parametrize("name", ["parallel_mutate_in_block"])  # a block, @mutate steps: one DAG run is enough
def test_node_hooks_inside_tasks_receive_the_calls_hamilton_makes(compile_dag, run_dag, tmp_path, monkeypatch, name):
    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "airflow.jsonl"
    expected = harness.corpus_run("hamilton", name, [recorders.NodeRecorder(theirs)])
    module = corpus.fresh_module(corpus.PIPELINES, name)
    outputs, inputs, _ = corpus.settings(module)
    monkeypatch.setenv("HAMILFLOW_DIFF_HOOK_LOG", str(ours))
    path = compile_dag(
        module.__name__,
        f"hooks_{name}",
        final_vars=outputs,
        params=inputs,
        adapters=["tests.differential.adapters.recorders:node_recorder_from_env"],
    )

    result = run_dag(path)

    assert ("result", result.outputs) == expected
    calls = recorders.per_node(recorders.read(ours, "node"))
    assert calls == recorders.per_node(recorders.read(theirs, "node"))


@pytest.mark.parametrize("name", ["from_csv_to_parquet", "custom_loader_and_saver"])
def test_compiled_materializers_write_what_hamilton_materialize_writes(
    compile_dag, run_dag, tmp_path, monkeypatch, name
):
    """An I/O corpus pipeline compiled with its ``to.*``/``from_.*`` materializers (``--materializer``): each
    saver is a task, and the DAG returns Hamilton's values and metadata and writes Hamilton's files (a pickle
    of a frame compared by content: values travel between tasks pickled, see tests/differential/io/harness.py)."""
    expected = io_harness.on_hamilton(name, tmp_path / "hamilton")
    folder = tmp_path / "airflow"
    folder.mkdir()
    module = corpus.fresh_module(io_harness.IO_PIPELINES, name)
    inputs = module._prepare(folder)
    monkeypatch.setenv("HAMILFLOW_DIFF_IO_FOLDER", str(folder))
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", str(tmp_path / "plans"))  # see the next test
    savers = list(expected.metadata)
    path = compile_dag(
        module.__name__,
        f"materializers_{name}",
        final_vars=list(module.OUTPUTS),
        params=inputs,
        materializers=[f"tests.differential.io.airflow_materializers:{name}"],
    )
    before = set(io_harness.files_in(folder))

    result = run_dag(path)

    got = io_harness.normalised(result.outputs, folder)
    written = {k: v for k, v in io_harness.files_in(folder).items() if k not in before}
    actual = io_harness.Outcome({k: v for k, v in got.items() if k not in savers}, {k: got[k] for k in savers}, written)
    io_harness.assert_same_outcome(expected, actual, name, crossed_processes=True)  # values cross the store pickled
    assert all([t.state for t in result.instances(saver)] == ["success"] for saver in savers)


def test_materializers_compiled_again_with_another_folder_write_there(compile_dag, run_dag, tmp_path, monkeypatch):
    name = "custom_loader_and_saver"
    module = corpus.fresh_module(io_harness.IO_PIPELINES, name)
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", str(tmp_path / "plans"))
    for run in ("first", "second"):
        folder = tmp_path / run
        folder.mkdir()
        module._prepare(folder)
        monkeypatch.setenv("HAMILFLOW_DIFF_IO_FOLDER", str(folder))
        path = compile_dag(
            module.__name__,
            "materializers_again",  # one DAG, compiled again: the same fingerprint
            final_vars=list(module.OUTPUTS),
            materializers=[f"tests.differential.io.airflow_materializers:{name}"],
        )
        run_dag(path)
        assert (folder / "kept.jsonl").exists(), f"the {run} run wrote elsewhere"


CHAIN = "tests.differential.adapters.airflow_chain"
ADAPTERS = "tests.differential.adapters.airflow_adapters"


def _hamilton(adapters: list, dynamic: bool = False):
    """Hamilton's Builder for the chain with ``adapters`` (with dynamic execution: node hooks get task ids)."""
    chain = corpus.fresh_module("tests.differential.adapters", "airflow_chain")
    return harness.builder("hamilton", chain, adapters, dynamic=dynamic)


def _printed(path: Path) -> list[str]:
    """PrintLn's lines, durations replaced by ``<time>``."""
    text = re.sub(r"\d+(\.\d+)?(ms|s|µs|μs)\b", "<time>", path.read_text())
    return [line for line in text.splitlines() if line.strip()]


def test_a_graph_construction_hook_sees_the_graph_hamilton_builds_once_per_dag_run(
    compile_dag, run_dag, tmp_path, monkeypatch
) -> None:
    """``post_graph_construct`` is called in the run's first task, once, with the graph and config Hamilton's
    Driver passes; the run then goes on and computes Hamilton's outputs."""
    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "airflow.jsonl"
    expected = harness.outcome(
        lambda: _hamilton([recorders.ConstructionRecorder(theirs)]).build().execute(["label"], inputs={"x": 2})
    )
    monkeypatch.setenv(airflow_adapters.LOG, str(ours))
    path = compile_dag(
        CHAIN, "construction_hook", final_vars=["label"], params={"x": 2}, adapters=[f"{ADAPTERS}:construction"]
    )

    result = run_dag(path)

    assert ("result", result.outputs) == expected == ("result", {"label": "value=7"})
    calls = recorders.read(ours, "construction")
    assert calls == recorders.read(theirs, "construction") and len(calls) == 1
    assert recorders.processes(ours, "construction") and "@setup" in path.read_text()


def test_an_edge_connection_hook_is_asked_about_the_edges_and_inputs_hamilton_asks_about(
    compile_dag, run_dag, tmp_path, monkeypatch
) -> None:
    """The compiler and the tasks build the graph with the adapters: ``check_edge_types_match`` is asked about each
    edge Hamilton's Driver asks about (how often is each engine's own), and ``validate_input`` about the run's
    inputs, as Hamilton's ``execute`` asks about its ``inputs`` (``offset`` keeps its function's default: neither
    passes it)."""
    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "airflow.jsonl"
    _hamilton([recorders.EdgeRecorder(theirs)]).build().execute(["label"], inputs={"x": 2})
    monkeypatch.setenv(airflow_adapters.LOG, str(ours))
    path = compile_dag(CHAIN, "edge_hook", final_vars=["label"], params={"x": 2}, adapters=[f"{ADAPTERS}:edges"])

    result = run_dag(path)

    assert result.outputs == {"label": "value=7"}
    asked = {json.dumps(call) for call in recorders.read(ours, "edge")}
    assert (
        asked
        == {json.dumps(call) for call in recorders.read(theirs, "edge")}
        == {json.dumps(["edge", "<class 'int'>", "<class 'int'>"]), json.dumps(["input", "<class 'int'>", 2])}
    )


def test_a_validator_that_refuses_a_node_fails_the_run_with_its_message(
    compile_dag, run_dag, tmp_path, monkeypatch
) -> None:
    """Hamilton's Driver is never built when a validator refuses a node; on Airflow the run's first task fails
    with the validator's words, and no node runs. Compiling does not run validators: the refusal here depends
    on the environment the run sees."""
    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "airflow.jsonl"
    kind, (error_type, message) = harness.outcome(lambda: _hamilton([recorders.ValidatorRecorder(theirs)]).build())
    assert (kind, error_type) == ("error", "ValidationException") and "node shifted is tagged refuse" in message
    monkeypatch.setenv(airflow_adapters.LOG, str(ours))
    path = compile_dag(CHAIN, "validator", final_vars=["label"], params={"x": 2}, adapters=[f"{ADAPTERS}:validator"])
    monkeypatch.setenv(airflow_adapters.REFUSE, "1")

    result = run_dag(path, expect="failed")

    (started,) = result.instances("hamilflow_run_started")
    assert started.state == "failed" and "AdapterValidationError" in started.error
    assert "node 'shifted'" in started.error and "node shifted is tagged refuse" in started.error
    assert not any(t.state == "success" for t in result.tasks if not t.task_id.startswith("hamilflow_run_"))
    asked = sorted(recorders.read(ours, "validator"))  # every node, in another order; no graph once one is refused
    assert (
        asked == sorted(recorders.read(theirs, "validator"))
        and ["node", "shifted", {"owner": "data", "refuse": "yes"}] in asked
    )


def test_println_prints_the_lines_hamilton_prints_and_fails_as_it_does(
    compile_dag, run_dag, tmp_path, monkeypatch
) -> None:
    """Inside a task a node has a task id, as under Hamilton's dynamic execution, where PrintLn (Hamilton 1.90)
    keys its timer by node and task but deletes it by node: its first after-hook raises KeyError. The DAG's
    first node task prints Hamilton's lines, then fails with Hamilton's error."""
    theirs, ours = tmp_path / "hamilton.txt", tmp_path / "airflow.txt"
    println = default.PrintLn(verbosity=2, print_fn=functools.partial(airflow_adapters.print_to, str(theirs)))
    expected = harness.outcome(lambda: _hamilton([println], dynamic=True).build().execute(["label"], inputs={"x": 2}))
    assert expected == ("error", ("KeyError", "'doubled'"))
    monkeypatch.setenv(airflow_adapters.LOG, str(ours))
    path = compile_dag(CHAIN, "println", final_vars=["label"], params={"x": 2}, adapters=[f"{ADAPTERS}:println"])

    result = run_dag(path, expect="failed")

    (doubled,) = result.instances("doubled")
    assert doubled.state == "failed" and doubled.error.startswith("KeyError: 'doubled'")
    assert _printed(ours) == _printed(theirs)
    assert _printed(theirs)[0].startswith("Executing node: doubled:doubled.") and len(_printed(theirs)) == 4


def test_the_type_checker_fails_the_task_with_hamiltons_message(compile_dag, run_dag) -> None:
    """FunctionInputOutputTypeChecker refuses a value not of its node's declared type: the node's task fails
    with Hamilton's TypeError and its message."""
    checker = default.FunctionInputOutputTypeChecker
    kind, (error_type, message) = harness.outcome(
        lambda: _hamilton([checker()]).build().execute(["lies"], inputs={"x": 2})
    )
    assert (kind, error_type) == ("error", "TypeError")
    path = compile_dag(
        CHAIN, "type_checker", final_vars=["lies"], params={"x": 2}, adapters=[f"{ADAPTERS}:type_checker"]
    )

    result = run_dag(path, expect="failed")

    (lies,) = result.instances("lies")
    assert lies.state == "failed" and lies.error.startswith(f"TypeError: {message}")


def test_a_node_execution_method_computes_the_outputs_hamilton_computes(
    compile_dag, run_dag, tmp_path, monkeypatch
) -> None:
    """A NodeExecutionMethod runs each node itself (this one adds 1000 to integers): its results are the values
    the DAG passes on and returns, as in Hamilton, and it is called for each node with Hamilton's arguments
    (without ``offset``, which the run leaves at its function's default)."""
    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "airflow.jsonl"
    outputs = ["label", "shifted"]
    expected = harness.outcome(
        lambda: _hamilton([recorders.MethodRecorder(theirs)]).build().execute(outputs, inputs={"x": 2})
    )
    assert expected == ("result", {"label": "value=2007", "shifted": 2007})
    monkeypatch.setenv(airflow_adapters.LOG, str(ours))
    path = compile_dag(CHAIN, "node_method", final_vars=outputs, params={"x": 2}, adapters=[f"{ADAPTERS}:method"])

    result = run_dag(path)

    assert ("result", result.outputs) == expected
    calls = recorders.per_node(recorders.read(ours, "method"))
    assert calls == recorders.per_node(recorders.read(theirs, "method"))


INT_AS_TEXT = "tests.differential.adapters.airflow_int_as_text"


def test_an_edge_hamiltons_rules_refuse_compiles_and_runs_with_the_adapter_that_accepts_it(
    compile_dag, run_dag, monkeypatch
) -> None:
    """``label(doubled: str)`` reads ``doubled -> int``: Hamilton and the Driver build the pipeline only with an
    EdgeConnectionHook that accepts the edge. The compiler and each task build the graph with the DAG's adapters,
    so the DAG compiles and computes their result; without the adapter, compiling fails as building a Driver does,
    and says which adapter to compile with."""
    from hamilton import driver as hamilton_driver

    from hamilflow import driver
    from hamilflow.compiler import CompileError
    from hamilflow.errors import GraphError

    module = importlib.import_module(INT_AS_TEXT)
    expected = [
        builder.with_modules(module)
        .with_adapters(airflow_adapters.IntAsText())
        .build()
        .execute(["label"], inputs={"x": 2})
        for builder in (hamilton_driver.Builder(), driver.Builder())
    ]
    monkeypatch.setenv("HAMILFLOW_PLAN_CACHE", "off")  # every task builds the graph itself
    path = compile_dag(
        INT_AS_TEXT, "int_as_text", final_vars=["label"], params={"x": 2}, adapters=[f"{ADAPTERS}:int_as_text"]
    )

    result = run_dag(path)

    assert result.outputs == expected[0] == expected[1] == {"label": "value=4"}
    with pytest.raises(GraphError, match="type mismatch on 'doubled'"):
        driver.Builder().with_modules(module).build()
    with pytest.raises(CompileError, match="type mismatch on 'doubled'") as refused:
        compile_dag(INT_AS_TEXT, "int_as_text_refused", final_vars=["label"], params={"x": 2})
    assert "expects str, but 'doubled'" in str(refused.value) and "EdgeConnectionHook" in str(refused.value)


def test_validate_input_is_asked_about_a_dag_runs_params_as_the_driver_asks_about_its_inputs(
    compile_dag, run_dag
) -> None:
    """The adapter refuses negative numbers. A DAG run whose conf gives ``x=-1`` fails in its first task with the
    Driver's message (the input, its value and type, the adapter's refusal), and no node runs; ``x=2`` computes
    what Hamilton and the Driver compute. Hamilton refuses -1 too (with its own ValueError)."""
    chain = corpus.fresh_module("tests.differential.adapters", "airflow_chain")

    def on(back_end: str, x: int) -> tuple[str, object]:
        made = harness.builder(back_end, chain, [airflow_adapters.IntAsText()])
        return harness.outcome(lambda: made.build().execute(["label"], inputs={"x": x}))

    hamilton_refused, driver_refused = on("hamilton", -1), on("driver", -1)
    assert hamilton_refused[0] == "error" and hamilton_refused[1][0] == "ValueError"
    assert driver_refused[0] == "error" and driver_refused[1][0] == "ExecutionRequestError"
    (problem,) = [line.split(". ", 1)[1] for line in driver_refused[1][1].splitlines() if line.strip().startswith("1.")]
    assert problem.startswith("input 'x' is int -1, which the lifecycle adapter IntAsText refuses")
    path = compile_dag(
        CHAIN, "validate_input", final_vars=["label"], params={"x": 2}, adapters=[f"{ADAPTERS}:int_as_text"]
    )

    refused = run_dag(path, expect="failed", run_conf={"x": -1})
    accepted = run_dag(path, run_conf={"x": 2})

    (started,) = refused.instances("hamilflow_run_started")
    assert started.state == "failed" and started.error.startswith("ExecutionRequestError") and problem in started.error
    assert not any(t.state == "success" for t in refused.tasks if not t.task_id.startswith("hamilflow_run_"))
    assert ("result", accepted.outputs) == on("hamilton", 2) == on("driver", 2) == ("result", {"label": "value=7"})


@pytest.mark.parametrize(
    ("conf", "compiled", "given"),
    [
        ({}, {"x": 2}, {"x": 2}),  # offset keeps its function's default: no engine passes it
        ({"offset": 5}, {"x": 2}, {"x": 2, "offset": 5}),  # the run's conf sets it
        ({"offset": 3}, {"x": 2}, {"x": 2, "offset": 3}),  # the run's conf sets it, to the default: given
        ({}, {"x": 2, "offset": 4}, {"x": 2, "offset": 4}),  # the DAG's param default is not the function's
    ],
    ids=["default", "conf", "conf-equal-to-default", "dag-default"],
)
def test_node_hooks_see_an_optional_input_only_when_it_is_given_as_in_hamilton(
    compile_dag, run_dag, tmp_path, monkeypatch, conf, compiled, given
) -> None:
    """``shifted(doubled, offset: int = 3)``: the DAG has a param ``offset`` (default 3), but a run that does not
    set it does not pass it, so the node hooks see the kwargs Hamilton's and the Driver's hooks see."""
    theirs, mine, ours = tmp_path / "hamilton.jsonl", tmp_path / "driver.jsonl", tmp_path / "airflow.jsonl"

    def on(back_end: str, log: Path) -> tuple[str, object]:
        chain = corpus.fresh_module("tests.differential.adapters", "airflow_chain")
        made = harness.builder(back_end, chain, [recorders.NodeRecorder(log)])
        return harness.outcome(lambda: made.build().execute(["label"], inputs=given))

    runs = [on("hamilton", theirs), on("driver", mine)]
    monkeypatch.setenv("HAMILFLOW_DIFF_HOOK_LOG", str(ours))
    path = compile_dag(
        CHAIN,
        f"optional_input_{len(conf)}_{len(compiled)}_{sum(conf.values())}",
        final_vars=["label"],
        params=compiled,
        adapters=["tests.differential.adapters.recorders:node_recorder_from_env"],
    )

    result = run_dag(path, run_conf=conf)

    assert ("result", result.outputs) == runs[0] == runs[1]
    calls = recorders.per_node(recorders.read(ours, "node"))
    assert (
        calls == recorders.per_node(recorders.read(theirs, "node")) == recorders.per_node(recorders.read(mine, "node"))
    )
    (shifted,) = [key for key in calls if key.startswith("shifted ")]
    assert ("offset" in shifted) == ("offset" in given)
