"""hamilflow.htypes: Parallelizable/Collect recognition and the rules for when two types fit."""

# ruff: noqa: UP007, UP045 - Optional[...] and Union[...] are spellings users write, so they are tested

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, List, Literal, Optional, TypeVar, Union

import pandas as pd
import pytest

from hamilflow import htypes
from hamilflow.htypes import Collect, Parallelizable, element_type, fits, type_name, value_matches

T = TypeVar("T")


class Animal:
    pass


class Dog(Animal):
    pass


# --------------------------------------------------------------------------- Parallelizable / Collect
def test_parallelizable_and_collect_are_recognised_parametrised_or_bare() -> None:
    assert htypes.is_parallelizable(Parallelizable[int])
    assert htypes.is_parallelizable(Parallelizable)
    assert htypes.is_collect(Collect[str])
    assert htypes.is_collect(Collect)
    assert not htypes.is_parallelizable(Collect[int])
    assert not htypes.is_collect(Parallelizable[int])
    for other in (int, list[int], Iterable[int], typing.Iterator[int], Any, None):
        assert not htypes.is_parallelizable(other)
        assert not htypes.is_collect(other)


def test_a_lookalike_class_from_another_module_is_not_recognised() -> None:
    class Parallelizable(typing.Generic[T]):  # noqa: N801 - same name, user's module
        pass

    assert not htypes.is_parallelizable(Parallelizable[int])


def test_hamiltons_own_annotations_are_recognised() -> None:
    hamilton_htypes = pytest.importorskip("hamilton.htypes")
    assert htypes.is_parallelizable(hamilton_htypes.Parallelizable[int])
    assert htypes.is_collect(hamilton_htypes.Collect[int])
    assert element_type(hamilton_htypes.Collect[str]) is str


def test_element_type() -> None:
    assert element_type(Parallelizable[int]) is int
    assert element_type(Collect[list[str]]) == list[str]
    assert element_type(Collect) is Any


def test_type_name_is_short_and_readable() -> None:
    assert type_name(int) == "int"
    assert type_name(Any) == "Any"
    assert type_name(pd.Series) == "Series"
    assert type_name(list[int]) == "list[int]"
    assert type_name(Optional[int]) == "Optional[int]"


# --------------------------------------------------------------------------- types_match
@pytest.mark.parametrize(
    ("produced", "required"),
    [
        (int, int),
        (Dog, Animal),  # subclasses fit their bases
        (bool, int),
        (int, float),  # an int fits a float, as in typing
        (int, Any),
        (Any, int),
        (T, int),
        (int, object),
        (int, Optional[int]),
        (type(None), Optional[int]),
        (int, Union[int, str]),
        (int | str, int | str | float),  # each member of a produced union must fit
        (list[int], list[int]),
        (list[int], Sequence[int]),
        (list[int], Iterable[int]),
        (dict[str, int], Mapping[str, int]),
        (dict[str, bool], dict[str, int]),
        (List[int], list[int]),  # typing.List and list are the same thing
        (list, list[int]),  # a bare generic fits any parametrisation
        (list[int], list),
        (tuple[int, ...], tuple[int, ...]),
        (Annotated[int, "meta"], int),
        (Literal["a", "b"], str),
        (Callable[[int], int], Callable[[int], int]),
        (pd.Series, pd.Series),
    ],
)
def test_types_that_fit(produced: Any, required: Any) -> None:
    assert fits(produced, required)


@pytest.mark.parametrize(
    ("produced", "required"),
    [
        (str, int),
        (Animal, Dog),  # a base does not fit a subclass
        (float, int),
        (Optional[int], int),  # the None member does not fit int
        (int | str, int),
        (int, Union[str, bytes]),
        (list[int], list[str]),
        (list[list[int]], list[list[str]]),
        (Sequence[int], list[int]),
        (dict[str, int], dict[str, str]),
        (tuple[int, str], tuple[int, int]),
        (pd.DataFrame, pd.Series),
    ],
)
def test_types_that_do_not_fit(produced: Any, required: Any) -> None:
    assert not fits(produced, required)


# --------------------------------------------------------------------------- value_matches
@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        (int, 3),
        (float, 3),  # an int is acceptable where a float is expected
        (float, 2.5),
        (str, "x"),
        (Optional[int], None),
        (int | None, 4),
        (Union[int, str], "x"),
        (list[int], [1, 2]),
        (Sequence[int], (1, 2)),
        (Animal, Dog()),
        (Any, object()),
        (Literal["a", "b"], "a"),
        (Callable[[int], int], len),
        (Annotated[int, "meta"], 1),
        (pd.Series, pd.Series([1])),
    ],
)
def test_input_values_that_fit(annotation: Any, value: Any) -> None:
    assert value_matches(annotation, value)


@pytest.mark.parametrize(
    ("annotation", "value"),
    [
        (int, "3"),
        (float, True),  # a bool is not accepted as a number where a float is expected
        (str, None),
        (Optional[int], "x"),
        (list[int], (1, 2)),
        (Dog, Animal()),
        (Literal["a", "b"], "c"),
        (Callable[[int], int], 3),
        (pd.Series, pd.DataFrame({"a": [1]})),
    ],
)
def test_input_values_that_do_not_fit(annotation: Any, value: Any) -> None:
    assert not value_matches(annotation, value)


# --------------------------------------------------------------------------- protocols
class Named(typing.Protocol):
    name: str


@typing.runtime_checkable
class Closable(typing.Protocol):
    def close(self) -> None: ...


class File:
    name = "f.txt"

    def close(self) -> None:
        pass


def test_protocols_are_not_refused_and_do_not_crash() -> None:
    # issubclass/isinstance raise TypeError on a plain Protocol: such annotations are not refused
    assert fits(File, Named)
    assert value_matches(Named, File())
    # a runtime-checkable protocol of methods is checked structurally
    assert fits(File, Closable) and not fits(int, Closable)
    assert value_matches(Closable, File()) and not value_matches(Closable, 3)
