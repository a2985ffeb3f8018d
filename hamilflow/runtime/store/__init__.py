"""Run-scoped, atomic, verified artifact store for values handed between Airflow tasks.

XCom only carries a tiny string *ref*; the value itself lives in the store under
``<dag_id>/<run_id>/<node>/<map_index>.pkl``, so concurrent runs and backfills never
collide. Every write goes to a unique temp name and is renamed over the final name,
so readers see either the old artifact or the new one, never a torn file. Every read
checks a digest of its bytes (BLAKE3) and, with a secret, an HMAC *before* unpickling.

Threat model. Artifacts are pickles, and unpickling runs code. Without a secret, anyone
who can write to the store can run code in every worker that reads it; the checksum
only catches accidents. With ``HAMILFLOW_STORE_SECRET`` every artifact is signed, and
the signature binds its identity (namespace, dag, run, node, map index: its ref) and the
format version as well as its bytes. A reader then loads only what a holder of a signing
key wrote for exactly that place: a forged, unsigned or old-format artifact, or a signed
one copied to another node, map index, run, DAG or namespace, is refused, naming its ref,
before anything is unpickled. Secrets never appear in errors or ``repr``.

Key rotation: one key signs, several verify. ``HAMILFLOW_STORE_SECRET`` signs (and
verifies); ``HAMILFLOW_STORE_VERIFY_SECRETS``, a comma-separated list (items are
stripped, so secrets must not contain commas), adds keys that only verify. To rotate:
give every worker the new key in the verify list; then make it the signing key and move
the old one to the verify list; drop the old one once no run needs its artifacts.

Layout. ``HAMILFLOW_STORE_NAMESPACE`` (default empty: the layout above) puts a deployment
under ``ns=<namespace>/``, so deployments sharing one bucket never see each other's
``scheduled__<date>`` runs. A path component longer than a file name may be (255 bytes:
long run ids of ``:+~``, each percent-encoded into 3 bytes, or non-ASCII node names)
is stored as a readable prefix, ``~`` and the SHA-256 of the whole component; refs keep
the full names, and ``~`` never occurs in an encoded name, so no two names share a path.

Temp files. A writer killed mid-write leaves its temp file behind (never a torn
artifact). Temp names carry the writer's machine and pid: a temp file of this machine
whose writer is dead, or of another machine and untouched for ``temp_max_age``
seconds, is removed by :meth:`ArtifactStore.sweep_temp`, by ``list_run``, and by
writes into the same folder (at most once a minute per folder); a live writer's temp
file is never removed.

File format (version 4), a fixed 72-byte header, the identity, then the payload::

    b"HFSTOR" | version: u8 | flags: u8 (bit 0 = signed) | blake3(rest): 32 bytes
    | mac or 32 zero bytes | rest = identity length: u32 | identity (ascii) | payload

    payload = pickle stream (protocol 5) | each out-of-band buffer, at a file offset that is a
              multiple of 64 (zero padding before it) | table | table length: u32
    table = stream length: u64 | buffer count: u32 | each buffer's length: u64
    identity = "[ns=<namespace>/]<ref>"
    mac = hmac_sha256(key, b"hamilflow artifact\\0" | version | flags | identity length | identity | blake3(rest))

At the speed of the disk. A write streams: the header's 72 bytes are reserved, the pickle
goes through BLAKE3 into the temp file piece by piece, large buffers (numpy arrays, a
DataFrame's blocks) are written out of band as they lie in memory (hashed on a helper
thread while the file takes them), and the header is written last; the value is never
copied. A large artifact is read by mapping its file copy-on-write: it is hashed (and its
signature checked) where it lies, and only then unpickled, its arrays made on the mapped
buffers rather than copied out of them. Every check happens before anything is unpickled,
as before. Writes made with ``put(..., sync=False)`` are made durable together by
:meth:`ArtifactStore.sync` (an expander flushes its items once, then writes its manifest).

Versions 3 (the same layout, digested with SHA-256), 2 (the payload one in-band cloudpickle
stream) and 1 (no identity, HMAC over the payload only) are still read; version 1 only without
a secret. The MAC covers the version, so a version-4 artifact cannot pass for another one. The store to use is
:func:`store_from_env`: it follows the environment on every call, so a worker sees a rotated
secret or a moved store at its next task.
Package layout, one concern per module: :mod:`.layout` (refs, paths and name encoding),
:mod:`.codec` (the file format and the streaming writer), :mod:`.signing` (keys and MACs),
:mod:`.disk` (local files: creation, fsync), :mod:`.sweep` (temp files of killed writers),
:mod:`.artifact` (:class:`ArtifactStore`, reading and writing), :mod:`.env` (the store the
environment configures).

Example:
    >>> store = ArtifactStore("memory://doc-example")
    >>> ref = store.put(store.ref("etl", "manual__2026-11-25T01:00:00+00:00", "clean"), [1, 2])
    >>> ref
    'etl/manual__2026-11-25T01%3A00%3A00%2B00%3A00/clean/_.pkl'
    >>> store.get(ref)
    [1, 2]
"""

from hamilflow.runtime.store.artifact import ArtifactStore
from hamilflow.runtime.store.codec import FORMAT_VERSION, MAGIC
from hamilflow.runtime.store.env import default_store_url, store_from_env
from hamilflow.runtime.store.errors import ArtifactIntegrityError, ArtifactNotFoundError, StoreError
from hamilflow.runtime.store.sweep import DEFAULT_TEMP_MAX_AGE

__all__ = [
    "DEFAULT_TEMP_MAX_AGE",
    "FORMAT_VERSION",
    "MAGIC",
    "ArtifactIntegrityError",
    "ArtifactNotFoundError",
    "ArtifactStore",
    "StoreError",
    "default_store_url",
    "store_from_env",
]
