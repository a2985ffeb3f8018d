"""What an expander's value becomes: the list of its items, or a clear error.

A function annotated ``-> Parallelizable[T]`` opens a block that runs once per item of what
it returns. As in Hamilton, any iterable will do (a list, a generator, a ``range``; a dict
gives its keys, as iterating a dict does in Python). Three values are refused rather than
iterated, because they are almost never meant as a collection: a ``str`` or ``bytes`` (its
characters would become the items), ``None`` (usually a forgotten ``return``), and anything
that is not iterable at all.

    >>> from hamilflow.node import Node, NodeKind
    >>> words = Node("word", str, kind=NodeKind.EXPANDER, module="m", function_name="word", line=3)
    >>> items_of(words, (w for w in ["a", "b"]))
    ['a', 'b']
    >>> items_of(words, "ab")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hamilflow.errors.ExpanderValueError: 'word' (m.word (line 3)) returned the str 'ab' ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hamilflow.errors import ExpanderValueError

if TYPE_CHECKING:
    from hamilflow.node import Node

_TEXT = (str, bytes, bytearray)


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def items_of(node: Node, value: Any) -> list[Any]:
    """The items of ``value``, which the expander ``node`` returned; raises :class:`ExpanderValueError`."""
    if isinstance(value, list):
        return list(value)
    prefix = f"'{node.name}' ({node.where}) returned"
    if isinstance(value, _TEXT):
        kind = type(value).__name__
        raise ExpanderValueError(
            f"{prefix} the {kind} {_short(value)} from a Parallelizable[] function: a {kind} is one value, so "
            f"each of its characters would become an item. Return a list of the items instead: [value] for "
            "one item, or value.split() for its words."
        )
    if value is None:
        raise ExpanderValueError(
            f"{prefix} None from a Parallelizable[] function, so there are no items to run the block over. "
            "Return a list (or any iterable) of the items; is a return statement missing?"
        )
    try:
        return list(value)
    except TypeError as error:
        if not hasattr(type(value), "__iter__"):
            raise ExpanderValueError(
                f"{prefix} {type(value).__name__} {_short(value)} from a Parallelizable[] function, which is not "
                "a collection of items. Return a list (or any iterable) of the items, e.g. [value]."
            ) from error
        raise  # an iterable whose iteration failed: the user's own error
