"""Recording adapters of every kind receive, on hamilflow, the calls Apache Hamilton makes.

Each test runs a pipeline with a recorder (``recorders.py``) on Hamilton and on hamilflow,
in process (``driver``), with every node a task on two threads (``threads``) and on a two-process pool
(``processes-everywhere``: the hooks of a node run in the worker that runs it, and write there).
Compared: the outputs, and the calls per node in order (a node outside a block is called once,
a node in a block once per item; items may run in any order on a pool, so calls are grouped
by node and inputs). What differs by design and is left out: the order in which independent
nodes run (hamilflow's plan orders them its own way) and the task ids (hamilflow's tasks are
not Hamilton's); ``run_id`` differs per run and is checked to be one per run.
"""

from __future__ import annotations

import os

import pytest

from tests.differential.adapters import harness, recorders

NODE_CASES = ["plain_chain", "plain_map_reduce", "parallel_mutate_in_block", "check_output_warn", "subdag_basic"]
ON = ["driver", "threads", "processes-everywhere"]


def _both(tmp_path, name: str, back_end: str, make, dynamic: bool = False):
    """Run corpus pipeline ``name`` on Hamilton and on ``back_end`` with ``make(path)``; outcomes and journals."""
    theirs, ours = tmp_path / "hamilton.jsonl", tmp_path / "hamilflow.jsonl"
    expected = harness.corpus_run("hamilton", name, [make(theirs)], dynamic)
    actual = harness.corpus_run(back_end, name, [make(ours)], dynamic)
    return expected, actual, theirs, ours


@pytest.mark.parametrize("back_end", ON)
@pytest.mark.parametrize("name", NODE_CASES)
def test_node_hooks_are_called_per_node_as_hamilton_calls_them(tmp_path, name, back_end) -> None:
    expected, actual, theirs, ours = _both(tmp_path, name, back_end, recorders.NodeRecorder)
    harness.assert_same_outcome(expected, actual)
    calls = recorders.per_node(recorders.read(ours, "node"))
    assert calls == recorders.per_node(recorders.read(theirs, "node"))
    assert calls and all([c[0] for c in seq] == ["before", "after"] for seq in calls.values())
    if back_end == "processes-everywhere":  # every call was made, and written, in a worker
        assert os.getpid() not in recorders.processes(ours, "node")


def _without_overrides(calls: list[list]) -> list[list]:
    return [c[:3] + c[4:] if c[0] == "before" else c for c in calls]


@pytest.mark.parametrize("back_end", ON)
@pytest.mark.parametrize("name", ["plain_chain", "plain_map_reduce", "subdag_basic"])
def test_graph_hooks_open_and_close_the_run_as_in_hamilton(tmp_path, name, back_end) -> None:
    """Outputs, inputs, execution path, graph nodes, success and results; ``overrides`` is the next test's."""
    expected, actual, theirs, ours = _both(tmp_path, name, back_end, recorders.GraphRecorder)
    harness.assert_same_outcome(expected, actual)
    calls = recorders.read(ours, "graph")
    assert [c[0] for c in calls] == ["before", "after"] and calls[1][1] is True
    assert _without_overrides(calls) == _without_overrides(recorders.read(theirs, "graph"))


def test_graph_hooks_get_the_overrides_as_the_user_passed_them(tmp_path) -> None:
    _, _, theirs, ours = _both(tmp_path, "plain_chain", "driver", recorders.GraphRecorder)
    assert recorders.read(ours, "graph")[0][3] == recorders.read(theirs, "graph")[0][3]


@pytest.mark.parametrize("back_end", ON)
@pytest.mark.parametrize("name", ["plain_chain", "plain_map_reduce", "parallel_mutate_in_block"])
def test_a_node_execution_method_runs_every_node_as_in_hamilton(tmp_path, name, back_end) -> None:
    expected, actual, theirs, ours = _both(tmp_path, name, back_end, recorders.MethodRecorder)
    harness.assert_same_outcome(expected, actual)  # integers came out of the method with 1000 added
    assert recorders.per_node(recorders.read(ours, "method")) == recorders.per_node(recorders.read(theirs, "method"))


@pytest.mark.parametrize("back_end", ON)
def test_a_result_builder_receives_the_outputs_and_shapes_the_result(tmp_path, back_end) -> None:
    expected, actual, theirs, ours = _both(tmp_path, "plain_map_reduce", back_end, recorders.ResultRecorder)
    assert actual == expected == ("result", [["total", 30]]) or actual == expected == ("result", [("total", 30)])
    assert recorders.read(ours, "result") == recorders.read(theirs, "result") == [["build", {"total": 30}]]


@pytest.mark.parametrize("back_end", ["driver"])
@pytest.mark.parametrize("name", ["plain_chain", "plain_map_reduce"])
def test_an_edge_connection_hook_is_asked_about_each_edge_and_input(tmp_path, name, back_end) -> None:
    """The same edges and inputs are asked about; how often, and in which order, is each engine's own."""
    expected, actual, theirs, ours = _both(tmp_path, name, back_end, recorders.EdgeRecorder)
    harness.assert_same_outcome(expected, actual)

    def asked(path):
        return sorted({json_line(c) for c in recorders.read(path, "edge")})

    assert asked(ours) == asked(theirs) and any('"input"' in c for c in asked(ours))


def json_line(call: list) -> str:
    import json

    return json.dumps(call, sort_keys=True)


@pytest.mark.parametrize("name", ["plain_chain", "plain_map_reduce", "subdag_basic", "check_output_warn"])
def test_a_static_validator_sees_every_node_and_the_graph(tmp_path, name) -> None:
    expected, actual, theirs, ours = _both(tmp_path, name, "driver", recorders.ValidatorRecorder)
    harness.assert_same_outcome(expected, actual)
    mine, reference = recorders.read(ours, "validator"), recorders.read(theirs, "validator")
    assert sorted(map(json_line, mine)) == sorted(map(json_line, reference))
    assert [c for c in mine if c[0] == "graph"] == [c for c in reference if c[0] == "graph"] != []


def test_a_static_validator_refusing_a_node_stops_the_build_on_both(module_from_source, tmp_path) -> None:
    module = module_from_source(
        "from hamilton.function_modifiers import tag\n\n"
        "def ok(x: int) -> int:\n    return x\n\n"
        "@tag(refuse='yes')\ndef bad(ok: int) -> int:\n    return ok\n"
    )
    refused = []
    for back_end in ("hamilton", "driver"):
        validator = recorders.ValidatorRecorder(tmp_path / f"{back_end}.jsonl")
        refused.append(harness.outcome(harness.builder(back_end, module, [validator]).build))
    (theirs_kind, (_, theirs)), (ours_kind, (_, ours)) = refused
    assert theirs_kind == ours_kind == "error"
    assert "node bad is tagged refuse" in theirs and "node bad is tagged refuse" in ours


@pytest.mark.parametrize("name", ["plain_chain", "subdag_basic", "config_when_basic"])
def test_a_graph_construction_hook_sees_the_graph_hamilton_builds(tmp_path, name) -> None:
    expected, actual, theirs, ours = _both(tmp_path, name, "driver", recorders.ConstructionRecorder)
    harness.assert_same_outcome(expected, actual)
    calls = recorders.read(ours, "construction")
    assert calls == recorders.read(theirs, "construction") and len(calls) == 1
