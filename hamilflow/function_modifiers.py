"""Decorators that change how a function becomes nodes.

A decorator never wraps the function: it records a *modifier* on it, and the graph
builder applies the modifiers when it turns the function into nodes. That keeps user
functions plain (callable, picklable, testable) and gives every decorator one place to
plug in. Two kinds exist so far:

* resolvers decide, from the config, whether a function is part of the graph
  (``config.when`` and friends), and strip the ``__suffix`` from its node name;
* ``tag`` attaches string metadata to the node (the Airflow compiler reads ``airflow_*``).

    >>> from hamilflow.function_modifiers import config, tag
    >>> @tag(owner="data-team", airflow_retries="2")
    ... @config.when(region="eu")
    ... def price__eu(base: float) -> float:
    ...     return base * 1.2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_ATTRIBUTE = "__hamilflow_modifiers__"


@dataclass
class Modifiers:
    """What decorators recorded on one function."""

    resolvers: list[ConfigResolver] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)


def modifiers_of(fn: Callable[..., Any]) -> Modifiers | None:
    """The modifiers recorded on ``fn``, or None when it carries none."""
    return fn.__dict__.get(_ATTRIBUTE) if hasattr(fn, "__dict__") else None


def _record(fn: F) -> Modifiers:
    found = modifiers_of(fn)
    if found is None:
        found = Modifiers()
        setattr(fn, _ATTRIBUTE, found)
    return found


_MISSING = object()


@dataclass(frozen=True)
class ConfigResolver:
    """A condition on the config that decides whether a function is in the graph."""

    description: str
    condition: Callable[[Mapping[str, Any]], bool]
    keys: tuple[str, ...]
    node_name: str | None = None

    def __call__(self, fn: F) -> F:
        _record(fn).resolvers.append(self)
        return fn

    def applies(self, config: Mapping[str, Any]) -> bool:
        return self.condition(config)


class config:  # noqa: N801 - lower case to read like Hamilton's ``@config.when``
    """Choose between implementations of a node by config.

    Name the implementations ``name__suffix``; the suffix is dropped from the node name.
    A key missing from the config makes ``when`` and ``when_in`` false and ``when_not``
    and ``when_not_in`` true.

        >>> @config.when(mode="fast")
        ... def score__fast(x: int) -> int:
        ...     return x
        >>> @config.when_not(mode="fast")
        ... def score__exact(x: int) -> int:
        ...     return x * 2
    """

    @staticmethod
    def when(name: str | None = None, **key_values: Any) -> ConfigResolver:
        """Include the function when every ``config[key] == value``."""
        return ConfigResolver(
            f"when({_describe(key_values)})",
            lambda cfg: all(cfg.get(k, _MISSING) == v for k, v in key_values.items()),
            tuple(key_values),
            name,
        )

    @staticmethod
    def when_not(name: str | None = None, **key_values: Any) -> ConfigResolver:
        """Include the function when no ``config[key]`` equals the value given."""
        return ConfigResolver(
            f"when_not({_describe(key_values)})",
            lambda cfg: all(cfg.get(k, _MISSING) != v for k, v in key_values.items()),
            tuple(key_values),
            name,
        )

    @staticmethod
    def when_in(name: str | None = None, **key_values: Collection[Any]) -> ConfigResolver:
        """Include the function when every ``config[key]`` is one of the values listed."""
        return ConfigResolver(
            f"when_in({_describe(key_values)})",
            lambda cfg: all(cfg.get(k, _MISSING) in vs for k, vs in key_values.items()),
            tuple(key_values),
            name,
        )

    @staticmethod
    def when_not_in(name: str | None = None, **key_values: Collection[Any]) -> ConfigResolver:
        """Include the function when no ``config[key]`` is one of the values listed."""
        return ConfigResolver(
            f"when_not_in({_describe(key_values)})",
            lambda cfg: all(cfg.get(k, _MISSING) not in vs for k, vs in key_values.items()),
            tuple(key_values),
            name,
        )


def _describe(key_values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in key_values.items())


_TAG_VALUE_TYPES = (str, int, float, bool)


class tag:  # noqa: N801 - decorator reads like Hamilton's ``@tag``
    """Attach metadata to a node, readable from ``Driver.list_available_variables()``.

    Values are strings (numbers and booleans are accepted and kept as given) or lists of
    strings. Tags named ``airflow_<setting>`` become Airflow task settings when compiled.

        >>> @tag(owner="ml", airflow_pool="gpu")
        ... def model(features: list) -> str:
        ...     return "trained"
    """

    def __init__(self, **tags: Any) -> None:
        for key, value in tags.items():
            ok = isinstance(value, _TAG_VALUE_TYPES) or (
                isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
            )
            if not ok:
                raise TypeError(
                    f"@tag({key}={value!r}): tag values must be strings, numbers, booleans or "
                    f"lists of strings, not {type(value).__name__}."
                )
        self.tags = tags

    def __call__(self, fn: F) -> F:
        _record(fn).tags.update(self.tags)
        return fn


def resolve_function(fn: Callable[..., Any], config: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether ``fn`` is in the graph under ``config``, and the node name it gets.

    >>> resolve_function(lambda: 0, {})[0]
    True
    """
    name = fn.__name__
    found = modifiers_of(fn)
    if found is None or not found.resolvers:
        return True, name
    explicit = next((r.node_name for r in found.resolvers if r.node_name), None)
    node_name = explicit or (name.rsplit("__", 1)[0] if "__" in name.strip("_") else name)
    return all(r.applies(config) for r in found.resolvers), node_name
