"""What users pass to the Driver and the Builder, checked: one clear paragraph per mistake.

The Driver and the Builder accept what Hamilton's accept (modules, dicts, adapters and
result builders, lists of outputs) and refuse the rest before anything runs, naming the
call and the fix, e.g. a module given by name or an adapter passed as its class.

    >>> mapping({"a": 1}, "inputs", lambda: "{'a': 1}")
    {'a': 1}
"""

from __future__ import annotations

import inspect
import types
from typing import Any, Callable, Mapping

from hamilflow import base
from hamilflow.errors import ExecutionRequestError, HamilflowWarning, SettingError
from hamilflow.lifecycle import is_lifecycle_adapter


def as_output_list(final_vars: Any, example: str) -> list[Any]:
    """``final_vars`` as a list; refuses what would be misread (a lone name, read letter by letter)."""
    if isinstance(final_vars, (str, bytes)):
        name = final_vars if isinstance(final_vars, str) else final_vars.decode(errors="replace")
        kind = "string" if isinstance(final_vars, str) else "bytes"
        raise ExecutionRequestError(
            [f"final_vars must be a list of outputs, not the {kind} {final_vars!r}: write [{name!r}]."]
        )
    if final_vars is None:
        raise ExecutionRequestError([f"final_vars is None: name the outputs to compute in a list, e.g. [{example!r}]."])
    try:
        return list(final_vars)
    except TypeError:
        raise ExecutionRequestError(
            [
                f"final_vars must be a list of outputs, not {type(final_vars).__name__} {final_vars!r}: name the "
                f"outputs to compute in a list, e.g. [{example!r}]."
            ]
        ) from None


def mapping(value: Any, argument: str, example: Callable[[], str]) -> Mapping[str, Any]:
    """``inputs=`` or ``overrides=`` as given, refusing anything but a mapping of names to values."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ExecutionRequestError(
            [
                f"{argument} must be a dict of names to values, not {type(value).__name__}: write "
                f"{argument}={{{example()!r}: ...}}."
            ]
        )
    return value


def check_modules(modules: tuple[Any, ...], call: str) -> None:
    """Refuse anything but imported modules, naming the usual slip (a name, a list, None)."""
    for module in modules:
        if isinstance(module, types.ModuleType):
            continue
        if isinstance(module, str):
            problem = (
                f"modules must be imported modules, not the string {module!r}: pass "
                f"importlib.import_module({module!r})."
            )
        elif isinstance(module, (list, tuple)):
            problem = f"got a {type(module).__name__} of modules: pass them as separate arguments, {call}*modules)."
        elif module is None:
            problem = f"modules must be imported modules, not None: pass imported modules, e.g. {call}my_pipeline)."
        else:
            problem = (
                f"modules must be imported modules, not {type(module).__name__} {module!r}: pass imported modules, "
                f"e.g. {call}my_pipeline)."
            )
        raise SettingError(f"{call.rstrip('({}, ')}: {problem}")


def is_static_builder(candidate: type) -> bool:
    return isinstance(inspect.getattr_static(candidate, "build_result", None), staticmethod)


def adapter_instance(item: Any, call: str) -> Any:
    """``item``, which must be an adapter instance; a result-builder class is used, with a warning.

    Hamilton takes classes silently (and ignores them). A graph adapter's class cannot run nodes, so
    it is refused; a result builder's ``build_result`` is static, so its class builds results as an
    instance would, and is kept (Hamilton's ports keep working) with a warning.
    """
    if not isinstance(item, type):
        return item
    name = item.__name__
    if not issubclass(item, base.HamiltonGraphAdapter) and is_static_builder(item):
        HamilflowWarning.emit(
            f"{call}: {name} is a class; it is used as the result builder, since its build_result is static. "
            f"To say what you mean, pass an instance: {name}()."
        )
        return item
    raise SettingError(f"{call}: {name} is a class, and an adapter must be an object: pass an instance: {name}().")


def driver_adapters(adapter: Any) -> Any:
    """Driver's ``adapter=``, made usable: a result builder alone is wrapped in a plain graph adapter."""
    if isinstance(adapter, (list, tuple)):
        return [driver_adapters(item) for item in adapter]
    if adapter is None or is_lifecycle_adapter(adapter) or isinstance(adapter, base.HamiltonGraphAdapter):
        return adapter
    shown = adapter.__name__ if isinstance(adapter, type) else repr(adapter)
    if isinstance(adapter, type) and issubclass(adapter, base.HamiltonGraphAdapter):
        raise SettingError(
            f"adapter={shown} is a class, and an adapter must be an object: pass an instance: {shown}()."
        )
    if isinstance(adapter, base.ResultMixin) or (isinstance(adapter, type) and is_static_builder(adapter)):
        # as Hamilton's Driver accepts a result builder alone: nodes are plain calls, it shapes the result
        return base.SimplePythonGraphAdapter(adapter_instance(adapter, f"adapter={shown}"))
    if all(hasattr(adapter, m) for m in ("execute_node", "check_input_type", "check_node_type_equivalence")):
        return adapter  # an adapter ported from Hamilton that does not subclass ours
    raise SettingError(
        f"adapter={shown} is not a graph adapter, a result builder or a Hamilton lifecycle adapter: pass one, "
        "e.g. adapter=base.SimplePythonGraphAdapter(base.DictResult())."
    )
