"""Where cached results live, and which nodes read and write them.

:class:`CacheSettings` is what a user chose (``Builder.with_cache``, a DAG's ``cache``
setting) and travels to workers as plain data; :class:`TaskCache` is one task instance's
view: the keys of its nodes and the store, used by the node runner around each node.

    >>> settings = CacheSettings("/tmp/cache", recompute=["features"])
    >>> settings.behavior_of("features", {}), settings.behavior_of("other", {})
    ('recompute', 'default')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Mapping

from hamilflow.errors import SettingError

Behavior = Literal["default", "recompute", "disable", "ignore"]
BEHAVIORS = ("default", "recompute", "disable", "ignore")
BEHAVIOR_TAG = "cache.behavior"  # Hamilton's @cache(behavior=...) tag
CACHE_DAG = "_cache"  # the store folder that holds cached results, beside the DAGs' runs
_SIDE_EFFECTS = ("hamilton.data_saver", "hamilton.data_loader")  # savers and loaders touch the world: never cached


def _names(value: Literal[True] | Iterable[str] | None, what: str) -> bool | frozenset[str]:
    if value is None:
        return frozenset()
    if value is True:
        return True
    if isinstance(value, str):
        raise SettingError(f"with_cache({what}=...) takes a list of node names, or True for every node; got {value!r}.")
    return frozenset(value)


@dataclass(frozen=True)
class CacheSettings:
    """Where the cache is (an artifact-store URL: a folder, ``s3://...``) and each node's behaviour.

    ``recompute``/``disable``/``default`` name nodes (or ``True`` for all) as in Hamilton's
    ``with_cache``; a node's ``@cache(behavior=...)`` tag comes first; then these lists;
    then ``default_behavior``. Savers and loaders are never cached (they act on the world).
    """

    url: str
    recompute: bool | frozenset[str] = frozenset()
    disable: bool | frozenset[str] = frozenset()
    default: bool | frozenset[str] = frozenset()
    default_behavior: Behavior = "default"

    def __init__(
        self,
        url: str,
        recompute: Literal[True] | Iterable[str] | None = None,
        disable: Literal[True] | Iterable[str] | None = None,
        default: Literal[True] | Iterable[str] | None = None,
        default_behavior: Behavior = "default",
    ) -> None:
        if default_behavior not in BEHAVIORS:
            raise SettingError(
                f"with_cache(default_behavior={default_behavior!r}): choose one of {', '.join(BEHAVIORS)}."
            )
        object.__setattr__(self, "url", str(url))
        object.__setattr__(self, "recompute", _names(recompute, "recompute"))
        object.__setattr__(self, "disable", _names(disable, "disable"))
        object.__setattr__(self, "default", _names(default, "default"))
        object.__setattr__(self, "default_behavior", default_behavior)

    def behavior_of(self, name: str, tags: Mapping[str, Any]) -> Behavior:
        """What the cache does for node ``name`` with ``tags``."""
        if any(tags.get(tag) for tag in _SIDE_EFFECTS):
            return "disable"
        tagged = tags.get(BEHAVIOR_TAG)
        if tagged is not None:
            return tagged if tagged in BEHAVIORS else "default"
        for behavior in ("disable", "recompute", "default"):
            chosen = getattr(self, behavior)
            if chosen is True or name in chosen:
                return behavior
        return self.default_behavior

    def to_dict(self) -> dict[str, Any]:
        def plain(value: bool | frozenset[str]) -> Any:
            return True if value is True else sorted(value)

        return {
            "url": self.url,
            "recompute": plain(self.recompute),
            "disable": plain(self.disable),
            "default": plain(self.default),
            "default_behavior": self.default_behavior,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CacheSettings:
        return cls(**{k: (v or None) if k != "url" and k != "default_behavior" else v for k, v in data.items()})


@dataclass(frozen=True)
class CacheRef:
    """What a compiled task writes for a value it read from the cache: where the value is, not a copy of it."""

    key: str

    def resolve(self, store: Any) -> Any:
        return store.get(store.ref(CACHE_DAG, self.key[:2], self.key, ()))


@dataclass
class TaskCache:
    """One task instance's cache: its nodes' keys and behaviours. Picklable: the store opens where it is used.

    ``hits`` and ``misses`` name the nodes that were read from the cache and those that ran.
    """

    url: str
    keys: dict[str, str]
    behaviors: dict[str, str]
    hits: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    def _ref(self, key: str) -> str:
        return self._store().ref(CACHE_DAG, key[:2], key, ())

    def _store(self) -> Any:
        from hamilflow.runtime.store import store_from_env

        return store_from_env(self.url)

    def lookup(self, name: str) -> tuple[bool, Any]:
        """``(True, value)`` when the node's result is in the cache and may be read; else ``(False, None)``."""
        if self.behaviors.get(name, "disable") != "default" or name not in self.keys:
            return False, None
        from hamilflow.runtime.store import ArtifactNotFoundError

        try:
            value = self._store().get(self._ref(self.keys[name]))
        except ArtifactNotFoundError:
            return False, None
        self.hits.append(name)
        return True, value

    def save(self, name: str, value: Any) -> None:
        """Keep a node's result under its key (unless its behaviour says not to)."""
        self.misses.append(name)
        if self.behaviors.get(name, "disable") in ("default", "recompute") and name in self.keys:
            self._store().put(self._ref(self.keys[name]), value)


_ALWAYS_RUN = ("recompute", "disable")


def graph_behaviors(settings: CacheSettings, graph: Any) -> dict[str, Behavior]:
    """What the cache does for each computed node of ``graph``: its own behaviour, except that a node reading,
    directly or through others, a node that always runs (``recompute``, ``disable``, a loader, a saver) is
    recomputed as well.

    Keys say where a value came from, not what it holds, so the key of a reader of an always-run node is the
    same whatever that node returned this time: served from the cache, it would be stale (a file that a
    recomputed loader reads has changed). Hamilton hashes a recomputed value instead, and serves its readers
    when the value is unchanged; hamilflow reruns them.

        >>> graph_behaviors(CacheSettings("/tmp/c", recompute=["raw"]), graph)  # doctest: +SKIP
        {'raw': 'recompute', 'clean': 'recompute', 'unrelated': 'default'}
    """
    own = {
        name: settings.behavior_of(name, node.tags) for name, node in graph.nodes.items() if not node.is_external_input
    }
    always_run = [name for name, behavior in own.items() if behavior in _ALWAYS_RUN]
    for name in graph.downstream(always_run):
        if own.get(name) == "default":
            own[name] = "recompute"
    return own


def task_cache(url: str, keys: Mapping[str, str], behaviors: Mapping[str, Behavior]) -> TaskCache:
    """The cache of one task instance whose nodes have ``keys``; ``behaviors`` is :func:`graph_behaviors`."""
    return TaskCache(url, dict(keys), {name: behaviors.get(name, "disable") for name in keys})
