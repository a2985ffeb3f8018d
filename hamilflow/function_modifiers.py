"""Decorators that shape nodes: Apache Hamilton's own, re-exported.

hamilflow does not re-implement Hamilton's decorators; it resolves them with Hamilton's
own code (see :mod:`hamilflow.frontend`). Importing a decorator from here or from
``hamilton.function_modifiers`` gives the same object, so a module written for Hamilton
runs unchanged, and every decorator means exactly what Hamilton's documentation says.
Names Hamilton adds later are reachable here too.

Tags named ``airflow_<setting>`` become Airflow task settings when a pipeline is compiled.

    >>> from hamilflow.function_modifiers import config, extract_columns, tag
    >>> @tag(owner="data-team", airflow_retries="2")
    ... @config.when(region="eu")
    ... def price__eu(base: float) -> float:
    ...     return base * 1.2
"""

from __future__ import annotations

from typing import Any

from hamilton import function_modifiers as _hamilton
from hamilton.function_modifiers import (
    IS_DATA_VALIDATOR_TAG,
    InvalidDecoratorException,
    ResolveAt,
    apply_to,
    cache,
    check_output,
    check_output_custom,
    config,
    dataloader,
    datasaver,
    does,
    extract_columns,
    extract_fields,
    group,
    hamilton_exclude,
    inject,
    load_from,
    mutate,
    parameterize,
    parameterize_extract_columns,
    parameterize_sources,
    parameterize_values,
    parameterized_subdag,
    pipe,
    pipe_input,
    pipe_output,
    resolve,
    save_to,
    schema,
    source,
    step,
    subdag,
    tag,
    tag_outputs,
    unpack_fields,
    value,
)

__all__ = [
    "IS_DATA_VALIDATOR_TAG",
    "InvalidDecoratorException",
    "ResolveAt",
    "apply_to",
    "cache",
    "check_output",
    "check_output_custom",
    "config",
    "dataloader",
    "datasaver",
    "does",
    "extract_columns",
    "extract_fields",
    "group",
    "hamilton_exclude",
    "inject",
    "load_from",
    "mutate",
    "parameterize",
    "parameterize_extract_columns",
    "parameterize_sources",
    "parameterize_values",
    "parameterized_subdag",
    "pipe",
    "pipe_input",
    "pipe_output",
    "resolve",
    "save_to",
    "schema",
    "source",
    "step",
    "subdag",
    "tag",
    "tag_outputs",
    "unpack_fields",
    "value",
]


def __getattr__(name: str) -> Any:
    """Any other name of ``hamilton.function_modifiers`` (one Hamilton added later, say)."""
    try:
        return getattr(_hamilton, name)
    except AttributeError:
        raise AttributeError(f"module 'hamilflow.function_modifiers' has no attribute '{name}'") from None
