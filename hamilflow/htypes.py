"""Types that shape a pipeline, and the rules for when two types fit.

``Parallelizable[T]`` marks a node that fans out: it returns or yields items of type ``T``
and everything downstream of it runs once per item, up to a node that takes
``Collect[T]``, which receives the items' results as a list in item order.

Annotations from Apache Hamilton's own ``hamilton.htypes`` are recognised too, so a
module written for Hamilton runs unchanged.

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
from typing import Any, Generic, Iterable, TypeVar

T = TypeVar("T")


class Parallelizable(Iterable[T], Generic[T]):
    """Return annotation of an expander: each item it yields starts one branch of the block."""


class Collect(Iterable[T], Generic[T]):
    """Parameter annotation of a collector: the block's results for this value, in item order."""


_KNOWN_MODULES = {"hamilflow.htypes", "hamilton.htypes"}


def _origin_named(annotation: Any, name: str) -> bool:
    origin = getattr(annotation, "__origin__", annotation)  # faster than typing.get_origin
    return getattr(origin, "__name__", None) == name and getattr(origin, "__module__", None) in _KNOWN_MODULES


def is_parallelizable(annotation: Any) -> bool:
    """True for ``Parallelizable[T]`` (hamilflow's or Hamilton's)."""
    return _origin_named(annotation, "Parallelizable")


def is_collect(annotation: Any) -> bool:
    """True for ``Collect[T]`` (hamilflow's or Hamilton's)."""
    return _origin_named(annotation, "Collect")


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


def types_match(produced: Any, required: Any) -> bool:
    """Whether a value annotated ``produced`` may feed a parameter annotated ``required``.

    Subclasses fit their bases, ``Any`` and type variables fit everything, a union fits
    when each of its members fits, and parametrised generics compare their origins
    (``list[int]`` fits ``Sequence[int]``) and then their arguments; a bare generic
    (``list``) fits any parametrisation of it.

        >>> types_match(bool, int), types_match(list[int], list[str])
        (True, False)
    """
    if produced is required:
        return True
    produced, required = _unwrap_annotated(produced), _unwrap_annotated(required)
    if _is_wildcard(produced) or _is_wildcard(required) or produced == required:
        return True
    if _is_union(produced):
        return all(types_match(member, required) for member in typing.get_args(produced))
    if _is_union(required):
        return any(types_match(produced, member) for member in typing.get_args(required))
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
    return all(a is Ellipsis or b is Ellipsis or types_match(a, b) for a, b in zip(produced_args, required_args))


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
