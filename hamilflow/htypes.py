"""Types that shape a pipeline, and the rules for when two types fit.

``Parallelizable[T]`` marks a node that fans out: it returns or yields items of type ``T``
and everything downstream of it runs once per item, up to a node that takes
``Collect[T]``, which receives the items' results as a list in item order.

They are Apache Hamilton's own classes (``hamilton.htypes``), re-exported: a module
written for Hamilton and one written for hamilflow are the same pipeline.

    >>> from hamilflow.htypes import Parallelizable, Collect
    >>> def url() -> Parallelizable[str]:
    ...     yield from ["a", "b"]
    >>> def total(length: Collect[int]) -> int:
    ...     return sum(length)
"""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import Any, TypeVar

from hamilton.htypes import Collect, Parallelizable

__all__ = ["Collect", "Parallelizable", "element_type", "fits", "is_collect", "is_parallelizable", "types_match"]


def is_parallelizable(annotation: Any) -> bool:
    """True for ``Parallelizable[T]``."""
    return getattr(annotation, "__origin__", annotation) is Parallelizable  # faster than typing.get_origin


def is_collect(annotation: Any) -> bool:
    """True for ``Collect[T]``."""
    return getattr(annotation, "__origin__", annotation) is Collect


def element_type(annotation: Any) -> Any:
    """``T`` of ``Parallelizable[T]`` or ``Collect[T]``; ``Any`` when unparametrised."""
    args = typing.get_args(annotation)
    return args[0] if args else Any


def type_name(annotation: Any) -> str:
    """A short readable name for an annotation, for error messages."""
    if annotation is Any:
        return "Any"
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__qualname__
    return repr(annotation).replace("typing.", "")


_UNION_TYPES: tuple[Any, ...] = (typing.Union, types.UnionType)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in _UNION_TYPES


def _is_wildcard(annotation: Any) -> bool:
    return annotation is Any or annotation is None or isinstance(annotation, TypeVar) or annotation is object


def _unwrap_annotated(annotation: Any) -> Any:
    if isinstance(annotation, type):
        return annotation
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def types_match(param_type: Any, required_node_type: Any) -> bool:
    """Whether a node of type ``required_node_type`` may feed a parameter annotated ``param_type``.

    Hamilton's argument order (the parameter first); :func:`fits` reads the other way round.

        >>> types_match(int, bool), types_match(bool, int)
        (True, False)
    """
    return fits(required_node_type, param_type)


def fits(produced: Any, required: Any) -> bool:
    """Whether a value annotated ``produced`` may feed a parameter annotated ``required``.

    Subclasses fit their bases, ``Any`` and type variables fit everything, a union fits
    when each of its members fits, and parametrised generics compare their origins
    (``list[int]`` fits ``Sequence[int]``) and then their arguments; a bare generic
    (``list``) fits any parametrisation of it.

        >>> fits(bool, int), fits(list[int], list[str])
        (True, False)
    """
    if produced is required:
        return True
    produced, required = _unwrap_annotated(produced), _unwrap_annotated(required)
    if _is_wildcard(produced) or _is_wildcard(required) or produced == required:
        return True
    if _is_union(produced):
        return all(fits(member, required) for member in typing.get_args(produced))
    if _is_union(required):
        return any(fits(produced, member) for member in typing.get_args(required))
    if typing.get_origin(required) is typing.Literal or typing.get_origin(produced) is typing.Literal:
        return True
    produced_origin = typing.get_origin(produced) or produced
    required_origin = typing.get_origin(required) or required
    if not (isinstance(produced_origin, type) and isinstance(required_origin, type)):
        return True  # forms we do not model (Callable[...], NewType, ...) are not refused
    if required_origin is float and produced_origin is int:
        return True
    try:
        if not issubclass(produced_origin, required_origin):
            return False
    except TypeError:  # a Protocol that is not @runtime_checkable, or has data members: not refused
        return True
    produced_args, required_args = typing.get_args(produced), typing.get_args(required)
    if not produced_args or not required_args or len(produced_args) != len(required_args):
        return True
    return all(a is Ellipsis or b is Ellipsis or fits(a, b) for a, b in zip(produced_args, required_args))


def value_matches(annotation: Any, value: Any) -> bool:
    """Whether a concrete input value fits an annotation (shallow: containers are not walked).

    >>> value_matches(int | None, None), value_matches(list[int], (1,))
    (True, False)
    """
    if type(value) is annotation:
        return True
    annotation = _unwrap_annotated(annotation)
    if _is_wildcard(annotation):
        return True
    if annotation is type(None):
        return value is None
    if _is_union(annotation):
        return any(value_matches(member, value) for member in typing.get_args(annotation))
    origin = typing.get_origin(annotation) or annotation
    if origin is typing.Literal:
        return value in typing.get_args(annotation)
    if not isinstance(origin, type):
        return True
    if origin is float and isinstance(value, int) and not isinstance(value, bool):
        return True
    if origin is collections.abc.Callable:
        return callable(value)
    try:
        return isinstance(value, origin)
    except TypeError:  # a Protocol that is not @runtime_checkable, or has data members: not refused
        return True
