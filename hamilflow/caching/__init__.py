"""A content-addressed result cache: one cache for the Driver, every executor and Airflow, on disk or on S3.

A node's result is stored under a *key* that says everything it depends on: its code
version, the versions of the external inputs and config it reads, and the keys of the
values it reads from other nodes (an item of a block: its expander's key and its position;
a collection: the keys of every item). Keys are computed from the graph before a node
runs, never from computed values, so checking the cache costs no hashing of data. A
changed function changes its key and the key of everything downstream; a changed input
(a param, a logical date, a constant in the config) changes what reads it, and no more.
Since a key cannot see a value, what reads a node that always runs (``recompute``,
``disable``, a loader) always runs too (:func:`~hamilflow.caching.results.graph_behaviors`).

Turn it on with ``Builder().with_cache(...)`` (as in Hamilton) or, for a compiled DAG,
``cache = true`` in its settings (``--cache``); choose per node with Hamilton's
``@cache(behavior=...)``: ``"default"`` (read and write), ``"recompute"`` (always run,
write), ``"disable"`` (neither). Results live in the artifact store's format (signed when
signing is on, written atomically) under the store's ``_cache`` folder, so
``hamilflow gc`` ages them out like runs.

    >>> from hamilflow import driver
    >>> dr = driver.Builder().with_modules(features).with_cache(".hamilflow_cache").build()  # doctest: +SKIP
"""

from hamilflow.caching.keys import KeyBuilder, code_version, data_version
from hamilflow.caching.results import CACHE_DAG, CacheSettings, TaskCache

__all__ = ["CACHE_DAG", "CacheSettings", "KeyBuilder", "TaskCache", "code_version", "data_version"]
