"""Pipelines Apache Hamilton rejects are rejected by hamilflow too, with the same error where it is the user's."""

from __future__ import annotations

import logging

import pytest

from tests.differential import harness

REJECTED = "tests.differential.rejected"


def _run(build: object, name: str) -> BaseException:
    module = harness.fresh_module(REJECTED, name)
    with pytest.raises(Exception) as caught:
        harness.execute(build(module), module)
    return caught.value


def _chain(error: BaseException | None) -> list[str]:
    names = []
    while error is not None:
        names.append(type(error).__name__)
        error = error.__cause__ or error.__context__
    return names


@pytest.mark.parametrize("name", harness.module_names(REJECTED))
def test_hamilflow_rejects_what_hamilton_rejects(name: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL)  # Hamilton logs each failure at length
    module = harness.fresh_module(REJECTED, name)
    assert type(_run(harness.hamilton_driver, name)).__name__ == module.ERROR  # the module shows what it says

    error = _run(harness.hamilflow_driver, name)

    if module.SAME_ERROR:
        assert module.ERROR in _chain(error), f"hamilflow raised {_chain(error)}: {error}"
