"""Hamilton's own adapters — PrintLn, GracefulErrorAdapter, FunctionInputOutputTypeChecker — on hamilflow.

Each runs on Apache Hamilton and on hamilflow, in process and with every node a task on a
two-process pool (there the adapter runs in the workers: PrintLn prints from them, the
graceful adapter catches errors there, the type checker refuses values there). Compared: the
outputs or the error, and PrintLn's lines (durations replaced by ``<time>``, lines sorted: on a
pool, independent items print in any order).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from hamilton.lifecycle import default

from tests.differential.adapters import harness

ON = ["driver", "threads", "processes-everywhere"]

CHAIN = """
from hamilton.function_modifiers import tag

def doubled(x: int) -> int:
    return x * 2

@tag(owner="data")
def shifted(doubled: int, offset: int = 3) -> int:
    return doubled + offset

def label(shifted: int) -> str:
    return f"value={shifted}"
"""

BRANCHES = """
class Refused(Exception):
    pass

def fine(x: int) -> int:
    return x + 1

def refused(x: int) -> int:
    raise Refused("no")

def after_refused(refused: int) -> int:
    return refused * 10

def after_fine(fine: int) -> int:
    return fine * 10

def both(after_fine: int, after_refused: int) -> int:
    return after_fine + after_refused
"""

ITEMS_FAIL = """
from hamilton.htypes import Collect, Parallelizable

class BadItem(Exception):
    pass

def item(n: int) -> Parallelizable[int]:
    yield from range(n)

def inverse(item: int) -> float:
    if item % 3 == 0:
        raise BadItem(f"item {item}")
    return 1 / item

def scaled(inverse: float) -> float:
    return inverse * 6

def gathered(scaled: Collect[float]) -> list:
    return sorted(scaled, key=lambda v: (v is None, v))
"""

EXPANDER_FAILS = """
from hamilton.htypes import Collect, Parallelizable

class Stop(Exception):
    pass

def start(n: int) -> Parallelizable[int]:
    for i in range(n):
        if i == 3:
            raise Stop()
        yield i

def inner(start: int) -> int:
    return start * 2

def gather(inner: Collect[int]) -> list:
    return inner
"""


def _run(back_end, module, adapters, outputs, inputs):
    return harness.outcome(lambda: harness.builder(back_end, module, adapters).build().execute(outputs, inputs=inputs))


def _print_to(path: str, message: str) -> None:
    with open(path, "a") as out:
        out.write(message + "\n")


def _println(path: Path | None = None) -> default.PrintLn:
    """Hamilton's PrintLn; with ``path``, printing into that file (its ``print_fn`` option).

    A file, because a worker of a long-lived pool may have been started before this test
    captured the output, and so print elsewhere.
    """
    if path is None:
        return default.PrintLn(verbosity=2)
    return default.PrintLn(verbosity=2, print_fn=functools.partial(_print_to, str(path)))


def _lines(text: str) -> list[str]:
    text = re.sub(r"\d+(\.\d+)?(ms|s|µs|μs)\b", "<time>", text)
    return sorted(line for line in text.splitlines() if line.strip())


def test_println_prints_the_lines_hamilton_prints(module_from_source, capfd) -> None:
    module = module_from_source(CHAIN)
    printed = []
    for engine in ("hamilton", "driver"):
        outcome = _run(engine, module, [_println()], ["label"], {"x": 2})
        assert outcome == ("result", {"label": "value=7"})
        printed.append(_lines(capfd.readouterr().out))
    assert printed[1] == printed[0] and len(printed[0]) >= 6  # before and after each of three nodes


@pytest.mark.parametrize("back_end", ["dynamic", "threads", "processes-everywhere"])
def test_println_under_dynamic_execution_fails_as_in_hamilton(module_from_source, tmp_path, back_end) -> None:
    """Under dynamic execution a node has a task id; PrintLn (Hamilton 1.90) keys its timer by node and task
    but deletes it by node alone, so the first node's after-hook raises KeyError. hamilflow, in process and
    in pool workers, prints what Hamilton prints up to there, and fails as Hamilton does."""
    module = module_from_source(CHAIN)
    theirs_log, ours_log = tmp_path / "hamilton.txt", tmp_path / "hamilflow.txt"
    theirs = harness.outcome(
        lambda: (
            harness.builder("hamilton", module, [_println(theirs_log)], dynamic=True)
            .build()
            .execute(["label"], inputs={"x": 2})
        )
    )
    ours = _run(back_end, module, [_println(ours_log)], ["label"], {"x": 2})
    assert ours == theirs == ("error", ("KeyError", "'doubled'"))
    printed = _lines(theirs_log.read_text())
    assert _lines(ours_log.read_text()) == printed and any(
        line.startswith("Executing node: doubled") for line in printed
    )


@pytest.mark.parametrize("back_end", ON)
@pytest.mark.parametrize(
    ("outputs", "expected"),
    [(["after_refused", "after_fine"], {"after_refused": None, "after_fine": 20}), (["both"], {"both": None})],
    ids=["two-branches", "joined"],
)
def test_graceful_error_adapter_skips_what_follows_a_failure(module_from_source, back_end, outputs, expected) -> None:
    module = module_from_source(BRANCHES)

    def adapters():
        return [default.GracefulErrorAdapter(error_to_catch=module.Refused, sentinel_value=None)]

    theirs = _run("hamilton", module, adapters(), outputs, {"x": 1})
    ours = _run(back_end, module, adapters(), outputs, {"x": 1})
    assert ours == theirs == ("result", expected)


@pytest.mark.parametrize("back_end", ["dynamic", "threads", "processes", "processes-everywhere"])
def test_graceful_error_adapter_with_failing_items_in_a_block(module_from_source, back_end) -> None:
    """Items 0, 3 and 6 fail: their sentinel flows through the block into the collection, as in Hamilton."""
    module = module_from_source(ITEMS_FAIL)

    def adapters():
        return [default.GracefulErrorAdapter(error_to_catch=module.BadItem, sentinel_value=None)]

    theirs = _run("hamilton", module, adapters(), ["gathered"], {"n": 7})
    ours = _run(back_end, module, adapters(), ["gathered"], {"n": 7})
    assert ours == theirs
    assert theirs == ("result", {"gathered": [1 / 5 * 6, 1 / 4 * 6, 1 / 2 * 6, 1 / 1 * 6, None, None, None]})


@pytest.mark.parametrize("back_end", ["dynamic", "processes"])
@pytest.mark.parametrize("try_all_parallel", [True, False])
def test_graceful_error_adapter_on_a_failing_expander(module_from_source, back_end, try_all_parallel) -> None:
    module = module_from_source(EXPANDER_FAILS)

    def adapters():
        return [
            default.GracefulErrorAdapter(
                error_to_catch=module.Stop, sentinel_value=None, try_all_parallel=try_all_parallel
            )
        ]

    theirs = _run("hamilton", module, adapters(), ["gather"], {"n": 5})
    ours = _run(back_end, module, adapters(), ["gather"], {"n": 5})
    assert ours == theirs == ("result", {"gather": [0, 2, 4, None] if try_all_parallel else [None]})


@pytest.mark.parametrize("back_end", ON)
def test_type_checker_refuses_a_wrong_return_type_with_hamiltons_message(module_from_source, back_end) -> None:
    module = module_from_source("def lies(x: int) -> str:\n    return x\n\ndef fine(x: int) -> int:\n    return x\n")
    checker = default.FunctionInputOutputTypeChecker
    theirs = _run("hamilton", module, [checker()], ["lies"], {"x": 1})
    ours = _run(back_end, module, [checker()], ["lies"], {"x": 1})
    assert ours == theirs and theirs[0] == "error" and theirs[1][0] == "TypeError"
    fine = [_run(engine, module, [checker()], ["fine"], {"x": 1}) for engine in ("hamilton", back_end)]
    assert fine[1] == fine[0] == ("result", {"fine": 1})


@pytest.mark.parametrize("back_end", ON)
def test_type_checker_refuses_a_wrong_input_type(module_from_source, back_end) -> None:
    """An upstream typed ``Any`` passes the graph's checks; the checker refuses the value the node receives."""
    module = module_from_source(
        "from typing import Any\n\ndef text() -> Any:\n    return 1\n\ndef size(text: str) -> int:\n    return 1\n"
    )
    checker = default.FunctionInputOutputTypeChecker
    theirs = _run("hamilton", module, [checker(check_output=False)], ["size"], {})
    ours = _run(back_end, module, [checker(check_output=False)], ["size"], {})
    assert ours == theirs and theirs[0] == "error" and theirs[1][0] == "TypeError"
