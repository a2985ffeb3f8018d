"""Pipelines from functions defined in a notebook or a script: Apache Hamilton's own helpers.

``create_temporary_module(*functions)`` puts functions into a module (registered in
``sys.modules``) that a Driver can be built from; ``module_from_source(text)`` does the same
from source text. They are Hamilton's, re-exported, so notebook code ported from Hamilton
changes only its import line. hamilflow's process executors ship such modules' code by
value (cloudpickle), so they run on worker processes too.

    >>> from hamilflow import ad_hoc_utils
    >>> def doubled(x: int) -> int:
    ...     return 2 * x
    >>> module = ad_hoc_utils.create_temporary_module(doubled)
"""

from __future__ import annotations

from hamilton.ad_hoc_utils import create_temporary_module, module_from_source

__all__ = ["create_temporary_module", "module_from_source"]
