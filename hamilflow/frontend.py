"""The front end: a module's functions become nodes, the way Apache Hamilton makes them.

A function that carries a decorator goes through Hamilton's own decorator resolution
(``hamilton.function_modifiers.base.resolve_nodes``), so every decorator means exactly
what it means in Hamilton — ``@extract_columns``, ``@parameterize``, ``@pipe_input``,
``@check_output``, ``@subdag`` and the rest, including those Hamilton adds later. Hamilton's
nodes are then converted into hamilflow's :class:`~hamilflow.node.Node`, and nothing after
this module depends on Hamilton's internals.

A plain function (nothing recorded on it) takes a fast path that reads its code object
directly and builds the node Hamilton would build, at a fraction of the cost. Either way,
what goes wrong is appended to a list of problems naming the function's module and line,
so the graph can report every problem at once.

    >>> import types
    >>> m = types.ModuleType("m")
    >>> exec("def b(a: int) -> int:\\n    return a + 1", m.__dict__)
    >>> [(n.name, n.tags) for n in nodes_of_module(m, {}, [])]
    [('b', {'module': 'm'})]
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import os
import sys
import traceback
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping

from hamilton.function_modifiers import base as hamilton_decorators
from hamilton.function_modifiers.configuration import config as hamilton_config

from hamilflow import htypes
from hamilflow.errors import HamilflowWarning, ModuleImportError
from hamilflow.node import DependencyType, Node, NodeKind

_VARIADIC = inspect.CO_VARARGS | inspect.CO_VARKEYWORDS
_ASYNC = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def import_modules(names: Iterable[str], *, from_current_folder: bool = True) -> list[types.ModuleType]:
    """Import a pipeline's modules by import path; each failure is one :class:`ModuleImportError` paragraph.

    The one place hamilflow imports user modules by name: the CLI, the compiler and every
    Airflow task. ``from_current_folder`` lets the current folder's packages import, as
    ``python -m`` does (a worker does not guess: it has the ``sys.path`` its deployment gives).

        >>> [m.__name__ for m in import_modules(["json"])]
        ['json']
    """
    if from_current_folder and "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as error:
            if error.name is not None and not name.startswith(error.name):
                raise ModuleImportError(
                    f"cannot import module '{name}': it imports '{error.name}', which is not installed in this "
                    f"environment ({sys.executable}). Install it there, or fix the import."
                ) from error
            dotted = name.removesuffix(".py").replace("/", ".")
            hint = (
                f" Name a module by its import path, like {dotted}, not a file path."
                if name.endswith(".py") or "/" in name
                else ""
            )
            raise ModuleImportError(
                f"cannot import module '{name}': {error}.{hint} This process looks for modules in "
                f"sys.path = {sys.path}: put the folder that holds '{name.split('.')[0]}' on PYTHONPATH (on Airflow, "
                "every worker's), or install the pipeline's package."
            ) from error
        except Exception as error:  # the module runs and fails: say where, in the user's file
            raise ModuleImportError(
                f"cannot import module '{name}': {type(error).__name__}: {error}{where_in_user_code(error)}. "
                "Fix the module."
            ) from error
    return modules


def where_in_user_code(error: BaseException) -> str:
    """`` (at file:line)``: the innermost frame outside hamilflow, installed packages and the import machinery."""
    if isinstance(error, SyntaxError) and error.filename:
        return f" (at {error.filename}:{error.lineno})"
    package = os.path.dirname(os.path.abspath(__file__))
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if not os.path.abspath(frame.filename).startswith(package)
        and "site-packages" not in frame.filename
        and not frame.filename.startswith("<frozen")
    ]
    return f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""


def functions_of(module: types.ModuleType) -> list[Callable[..., Any]]:
    """The public functions of ``module`` that are nodes, in definition order.

    As in Hamilton, a function counts when it is defined in the module or in one of its
    submodules; functions imported from elsewhere are left out. An alias (``g = f``) is
    the same function, found once.
    """
    name = module.__name__
    prefix = name + "."
    found: dict[int, Callable[..., Any]] = {}
    for attr, obj in vars(module).items():
        if (
            isinstance(obj, types.FunctionType)
            and not attr.startswith("_")
            and not obj.__name__.startswith("_")
            and (obj.__module__ == name or (obj.__module__ or "").startswith(prefix))
        ):
            found.setdefault(id(obj), obj)
    return list(found.values())


def is_plain(fn: Callable[..., Any]) -> bool:
    """True when no Hamilton decorator recorded anything on ``fn``: it is one node named after it.

    A user's own ``functools.wraps`` wrapper only records ``__wrapped__``, and stays plain.
    """
    recorded = getattr(fn, "__dict__", None)
    return not recorded or recorded.keys() <= {"__wrapped__"}


def nodes_of_module(
    module: types.ModuleType,
    config: Mapping[str, Any],
    problems: list[str],
    deselected: dict[str, list[Deselected]] | None = None,
) -> list[Node]:
    """Every node the functions of ``module`` define under ``config``; problems go to ``problems``.

    ``deselected``, when given, receives the ``@config.when`` variants the config leaves out,
    by the name of the node they would define (see :class:`Deselected`).
    """
    nodes: list[Node] = []
    hamilton_config = dict(config)
    with _quiet_hamilton_resolution():
        for fn in functions_of(module):
            if fn.__name__ == "<lambda>":
                problems.append(_lambda_problem(module, fn))
            elif is_plain(fn):
                node = node_from_function(fn, module.__name__, problems)
                if node is not None:
                    nodes.append(node)
            else:
                nodes.extend(nodes_from_hamilton(fn, hamilton_config, problems, deselected))
    return nodes


def _lambda_problem(module: types.ModuleType, fn: Callable[..., Any]) -> str:
    attr = next((a for a, v in vars(module).items() if v is fn), "f")
    return (
        f"'{attr}' ({module.__name__}, line {line_of(fn)}) is a lambda: a node is named after its function, "
        f"and a lambda has no name (Hamilton refuses it too). Write it as def {attr}(...), or name it "
        f"_{attr} to keep it out of the graph."
    )


def _code_of(fn: Callable[..., Any]) -> types.CodeType | None:
    if "__wrapped__" in getattr(fn, "__dict__", ()):
        fn = inspect.unwrap(fn)
    return getattr(fn, "__code__", None)


def line_of(fn: Callable[..., Any]) -> int | None:
    """The line ``fn``'s definition starts on (its first decorator's line), where known."""
    code = _code_of(fn)
    return code.co_firstlineno if code is not None else None


def defined_name(fn: Callable[..., Any]) -> str:
    """The name ``fn`` has in its ``def`` (Hamilton renames a chosen ``@config.when`` variant)."""
    code = _code_of(fn)
    if code is not None:
        return code.co_name
    return getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", type(fn).__name__)


def _function_where(fn: Callable[..., Any]) -> str:
    """``module.function, line N``, for error messages."""
    return f"{fn.__module__}.{defined_name(fn)}, line {line_of(fn)}"


# ---------------------------------------------------------------------- plain functions
def _annotations(fn: Callable[..., Any], problems: list[str], where: str) -> dict[str, Any]:
    """``fn``'s annotations, resolving string ones; ``where`` names the function in problems."""
    raw = getattr(fn, "__annotations__", {}) or {}
    if not any(isinstance(v, str) for v in raw.values()):
        return dict(raw)
    try:  # string annotations (``from __future__ import annotations``) need their module's names
        return typing.get_type_hints(fn, include_extras=True)
    except Exception as error:  # noqa: BLE001 - reported as a graph problem below
        problems.append(
            f"cannot resolve the type annotations of {where}: {error}. Import the names the "
            "annotations use at module level (not only under TYPE_CHECKING)."
        )
        return {k: Any for k in raw}


def _parameters(fn: Callable[..., Any]) -> list[tuple[str, bool]]:
    """``(name, has_default)`` for each parameter; reads the code object directly (fast)."""
    code = getattr(fn, "__code__", None)
    if code is None or "__wrapped__" in fn.__dict__:
        sig = inspect.signature(fn)
        out = []
        for p in sig.parameters.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(("*" if p.kind is p.VAR_POSITIONAL else "**") + p.name)
            if p.kind is p.POSITIONAL_ONLY:
                raise TypeError(f"positional-only parameters ('{p.name}' before /)")
            out.append((p.name, p.default is not p.empty))
        return out
    if code.co_flags & _VARIADIC:
        extra = iter(code.co_varnames[code.co_argcount + code.co_kwonlyargcount :])
        stars = [s for s, flag in (("*", inspect.CO_VARARGS), ("**", inspect.CO_VARKEYWORDS)) if code.co_flags & flag]
        raise TypeError(" and ".join(star + next(extra) for star in stars))
    if code.co_posonlyargcount:  # called with keywords, these would fail at run time
        raise TypeError(f"positional-only parameters ('{code.co_varnames[0]}' before /)")
    positional = code.co_varnames[: code.co_argcount]
    kwonly = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
    n_defaults = len(fn.__defaults__ or ())
    first_default = len(positional) - n_defaults
    kwdefaults = fn.__kwdefaults__ or {}
    return [(name, i >= first_default) for i, name in enumerate(positional)] + [
        (name, name in kwdefaults) for name in kwonly
    ]


def node_from_function(fn: Callable[..., Any], module_name: str, problems: list[str]) -> Node | None:
    """The node of one undecorated function, appending to ``problems`` what is wrong with it."""
    name = fn.__name__
    code = getattr(fn, "__code__", None)
    line = code.co_firstlineno if code is not None else None
    try:
        params = _parameters(fn)
    except TypeError as error:
        problems.append(
            f"node '{name}' ({module_name}.{name}, line {line}) takes {error}: hamilflow wires parameters by "
            "name, so every parameter must be named. Replace them with named parameters."
        )
        return None
    annotations = _annotations(fn, problems, f"{module_name}.{name} (line {line})")
    input_types = {
        param: (annotations.get(param, Any), DependencyType.OPTIONAL if has_default else DependencyType.REQUIRED)
        for param, has_default in params
    }
    return _make_node(
        name,
        annotations.get("return", Any),
        fn,
        input_types,
        tags={"module": fn.__module__},
        documentation=fn.__doc__ or "",
        origin=fn,
        originating_functions=(fn,),
        problems=problems,
    )


def _make_node(
    name: str,
    return_type: Any,
    fn: Callable[..., Any],
    input_types: dict[str, tuple[Any, DependencyType]],
    *,
    tags: dict[str, Any],
    documentation: str,
    origin: Callable[..., Any],
    originating_functions: tuple[Callable[..., Any], ...],
    problems: list[str],
) -> Node:
    """A node with its kind worked out from ``Parallelizable``/``Collect`` annotations."""
    code = _code_of(origin)
    if code is not None and code.co_flags & _ASYNC:
        HamilflowWarning.emit(
            f"node '{name}' ({_function_where(origin)}) is an async function: hamilflow calls it without "
            "awaiting it, so its value is a coroutine object (as in Hamilton's synchronous Driver). Make it "
            "a plain def, and run any asynchronous code inside it with asyncio.run(...)."
        )
    kind = NodeKind.FUNCTION
    if htypes.is_parallelizable(return_type):
        kind, return_type = NodeKind.EXPANDER, htypes.element_type(return_type)
    collect_params = [p for p, (annotation, _) in input_types.items() if htypes.is_collect(annotation)]
    if collect_params:
        if kind is NodeKind.EXPANDER:
            problems.append(
                f"node '{name}' ({_function_where(origin)}) both collects ({', '.join(collect_params)}) and "
                "returns Parallelizable[]: split it into a collector and a separate expander."
            )
        kind = NodeKind.COLLECTOR
    return Node(
        name=name,
        type=return_type,
        callable=fn,
        input_types=input_types,
        kind=kind,
        tags=tags,
        documentation=inspect.cleandoc(documentation) if documentation else "",
        module=getattr(origin, "__module__", None) or "",
        function_name=defined_name(origin),
        line=line_of(origin),
        collect_params=frozenset(collect_params),
        originating_functions=originating_functions,
    )


# ---------------------------------------------------------------------- decorated functions
@contextlib.contextmanager
def _quiet_hamilton_resolution() -> Iterator[None]:
    """Hamilton logs a full traceback when a decorator fails; hamilflow reports it as a problem instead."""
    logger = logging.getLogger("hamilton.function_modifiers.base")
    was_disabled = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was_disabled


_DEPENDENCY = {"REQUIRED": DependencyType.REQUIRED, "OPTIONAL": DependencyType.OPTIONAL}


def _fix_for(error: Exception) -> str:
    """The usual fix for a decorator that fails while its nodes are made."""
    text = str(error)
    if "hamilton.enable_power_user_mode" in text:
        return "@resolve is a power-user decorator: add {'hamilton.enable_power_user_mode': True} to the config."
    if "Missing type hint" in text:
        return "Decorated functions need a type hint on every parameter and on the return value: add them."
    if isinstance(error, KeyError) and error.args:
        key = error.args[0]
        return f"The decorator reads config key {key!r}, which the config lacks: add with_config({{{key!r}: ...}})."
    if "declared but not provided" in text:
        return "The decorator reads config keys that the config lacks: pass them with with_config({...})."
    return "Check the decorator's arguments against Hamilton's documentation of that decorator."


def nodes_from_hamilton(
    fn: Callable[..., Any],
    config: Mapping[str, Any],
    problems: list[str],
    deselected: dict[str, list[Deselected]] | None = None,
) -> list[Node]:
    """The nodes Hamilton's decorators make of ``fn`` under ``config``, as hamilflow nodes.

    A ``@config.when`` variant the config leaves out makes no node; it goes to ``deselected``.
    """
    try:
        resolved = hamilton_decorators.resolve_nodes(fn, config)
    except Exception as error:  # noqa: BLE001 - any decorator failure is the user's to fix, reported with its place
        problems.append(
            f"the decorators of {fn.__module__}.{defined_name(fn)} (line {line_of(fn)}) cannot be applied: "
            f"{type(error).__name__}: {str(error).rstrip('. ')}. {_fix_for(error)}"
        )
        return []
    if not resolved and deselected is not None:
        variant = deselected_variant(fn, config)
        if variant is not None:
            deselected.setdefault(variant.node, []).append(variant)
    return [node_from_hamilton(hamilton_node, problems, fallback=fn) for hamilton_node in resolved]


def node_from_hamilton(hamilton_node: Any, problems: list[str], fallback: Callable[..., Any] | None = None) -> Node:
    """One node Hamilton made (by a decorator, a materializer or a loader), as a hamilflow node.

    Its place in error messages is its user's function (Hamilton lists it last among the
    originating functions), else ``fallback``, else its own callable.
    """
    origins = tuple(hamilton_node.originating_functions or ((fallback,) if fallback else ()))
    input_types = {
        param: (annotation, _DEPENDENCY[dependency.name])
        for param, (annotation, dependency) in hamilton_node.input_types.items()
    }
    return _make_node(
        hamilton_node.name,
        hamilton_node.type,
        hamilton_node.callable,
        input_types,
        tags=dict(hamilton_node.tags),
        documentation=hamilton_node.documentation or "",
        origin=origins[-1] if origins else hamilton_node.callable,
        originating_functions=origins or None,
        problems=problems,
    )


# ---------------------------------------------------------------------- @config.when variants left out
@dataclass(frozen=True)
class Deselected:
    """A ``@config.when`` variant that the config leaves out, so that it defines no node.

    ``condition`` says what selects it (``mode='fast'``); ``example`` is a config that would,
    where one can be read off the condition (``None`` for ``when_not`` and custom conditions).
    """

    node: str
    where: str
    condition: str
    example: dict[str, Any] | None


_OPERATORS = {
    "when": lambda k, v: f"{k}={v!r}",
    "when_not": lambda k, v: f"{k}!={v!r}",
    "when_in": lambda k, v: f"{k} in {list(v)!r}",
    "when_not_in": lambda k, v: f"{k} not in {list(v)!r}",
}


def deselected_variant(fn: Callable[..., Any], config: Mapping[str, Any]) -> Deselected | None:
    """What selects ``fn``, when a ``@config`` decorator is why it makes no node under ``config``.

    Reads Hamilton's ``config`` resolver (its target name and the pairs its condition compares);
    a condition it cannot read is described by the config keys it declares.
    """
    for resolver in getattr(fn, hamilton_decorators.NodeResolver.get_lifecycle_name(), None) or ():
        if not isinstance(resolver, hamilton_config):
            continue
        try:
            if resolver.does_resolve(dict(config)):
                continue
        except Exception:  # noqa: BLE001 - a custom condition that fails is Hamilton's to report
            continue
        node = resolver.target_name or hamilton_decorators.sanitize_function_name(defined_name(fn))
        where = f"{fn.__module__}.{defined_name(fn)} (line {line_of(fn)})"
        condition, example = _condition(resolver)
        return Deselected(node, where, condition, example)
    return None


def _condition(resolver: Any) -> tuple[str, dict[str, Any] | None]:
    test = getattr(resolver.does_resolve, "resolves", None)
    kind = test.__qualname__.split(".")[-3] if test is not None and test.__qualname__.count(".") >= 2 else ""
    try:
        pairs = dict(next(iter(inspect.getclosurevars(test).nonlocals.values()))) if kind in _OPERATORS else {}
    except Exception:  # noqa: BLE001 - Hamilton changed how it stores conditions: describe by keys
        pairs = {}
    if not pairs:
        keys = getattr(resolver, "_config_used", None) or []
        return ("a custom @config condition" + (f" on {', '.join(keys)}" if keys else "")), None
    condition = " and ".join(_OPERATORS[kind](key, value) for key, value in pairs.items())
    example = None
    if kind == "when":
        example = pairs
    elif kind == "when_in" and all(pairs.values()):
        example = {key: next(iter(values)) for key, values in pairs.items()}
    return condition, example
