"""Run-scoped, atomic, verified artifact store for values handed between Airflow tasks.

XCom only carries a tiny string *ref*; the value itself lives in the store under
``<dag_id>/<run_id>/<node>/<map_index>.pkl``, so concurrent runs and backfills never
collide. Every write goes to a unique temp name and is renamed over the final name,
so readers see either the old artifact or the new one, never a torn file. Every read
checks a SHA-256 digest and, with a secret, an HMAC *before* unpickling.

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

File format (version 3), a fixed 72-byte header, the identity, then the payload::

    b"HFSTOR" | version: u8 | flags: u8 (bit 0 = signed) | sha256(rest): 32 bytes
    | mac or 32 zero bytes | rest = identity length: u32 | identity (ascii) | payload

    payload = pickle stream (protocol 5) | each out-of-band buffer, at a file offset that is a
              multiple of 64 (zero padding before it) | table | table length: u32
    table = stream length: u64 | buffer count: u32 | each buffer's length: u64
    identity = "[ns=<namespace>/]<ref>"
    mac = hmac_sha256(key, b"hamilflow artifact\\0" | version | flags | identity length | identity | sha256(rest))

At the speed of the disk. A write streams: the header's 72 bytes are reserved, the pickle
goes through SHA-256 into the temp file piece by piece, large buffers (numpy arrays, a
DataFrame's blocks) are written out of band as they lie in memory (hashed on a helper
thread while the file takes them), and the header is written last; the value is never
copied. A large artifact is read by mapping its file copy-on-write: it is hashed (and its
signature checked) where it lies, and only then unpickled, its arrays made on the mapped
buffers rather than copied out of them. Every check happens before anything is unpickled,
as before. Writes made with ``put(..., sync=False)`` are made durable together by
:meth:`ArtifactStore.sync` (an expander flushes its items once, then writes its manifest).

Versions 2 (the payload one in-band cloudpickle stream) and 1 (no identity, HMAC over the
payload only) are still read; version 1 only without a secret. The store to use is
:func:`store_from_env`: it follows the environment on every call, so a worker sees a rotated
secret or a moved store at its next task.

Example:
    >>> store = ArtifactStore("memory://doc-example")
    >>> ref = store.put(store.ref("etl", "manual__2026-11-25T01:00:00+00:00", "clean"), [1, 2])
    >>> ref
    'etl/manual__2026-11-25T01%3A00%3A00%2B00%3A00/clean/_.pkl'
    >>> store.get(ref)
    [1, 2]
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import hmac
import mmap
import os
import re
import shutil
import socket
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import cloudpickle

from hamilflow.errors import HamilflowError, SettingError

__all__ = [
    "ArtifactIntegrityError",
    "ArtifactNotFoundError",
    "ArtifactStore",
    "StoreError",
    "default_store_url",
    "store_from_env",
]

MAGIC = b"HFSTOR"
FORMAT_VERSION = 3
_READS = (1, 2, 3)  # format versions this hamilflow reads
_ALIGN = 64  # out-of-band buffers start at file offsets that are multiples of this
_MMAP_FROM = 1 << 20  # files at least this large are mapped, not read: their buffers are used in place
_FLAG_SIGNED = 0x01
_HEADER_LEN = len(MAGIC) + 2 + 32 + 32
_ID_LEN = 4  # bytes of the identity's length
_MAX_IDENTITY = 1 << 16  # bytes; far above any real ref, and what a reader will trust a header to claim
_MAC_DOMAIN = b"hamilflow artifact\0"
_SAFE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
_REF_PART = re.compile(r"[A-Za-z0-9._%-]+")
_CHUNK = 1 << 20
# Object stores where one PUT is atomic (readers see all or nothing) but "mv" is a
# non-atomic copy+delete: we write those directly to the final key, without temp files.
_ATOMIC_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl"})
_MAX_COMPONENT = 255  # bytes in a file name on common filesystems; encoded names are ASCII
_SHORT_PREFIX = 100  # readable characters kept of a component that is too long
# ".<leaf>.<machine>.<pid>.<uuid>.tmp"; older hamilflow wrote ".<leaf>.<pid>.<uuid>.tmp"
_TEMP = re.compile(r"\.(?P<machine>[0-9a-f]{12})\.(?P<pid>[0-9]{1,10})\.[0-9a-f]{32}\.tmp\Z")
DEFAULT_TEMP_MAX_AGE = 3600.0
_SWEEP_EVERY = 60.0  # seconds between two sweeps of one folder by the writes of one store
_ENV_URL = "HAMILFLOW_STORE_URL"
_ENV_SECRET = "HAMILFLOW_STORE_SECRET"
_ENV_VERIFY = "HAMILFLOW_STORE_VERIFY_SECRETS"
_ENV_NAMESPACE = "HAMILFLOW_STORE_NAMESPACE"
_DEFAULT_URL = "./.hamilflow/artifacts"


class StoreError(HamilflowError):
    """Base class for artifact store errors."""


class ArtifactNotFoundError(StoreError, KeyError):
    """The ref does not exist in the store."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class ArtifactIntegrityError(StoreError):
    """The artifact is truncated, corrupted, unsigned, signed with another secret or for another ref."""


def _quote(component: object, what: str) -> str:
    """Percent-encode everything outside ``[A-Za-z0-9._-]``; refuse empty components."""
    text = str(component)
    if not text:
        raise SettingError(f"{what} must not be empty")
    quoted = "".join(c if c in _SAFE_CHARS else "".join(f"%{b:02X}" for b in c.encode()) for c in text)
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


def _check_ref(ref: str) -> list[str]:
    """Validate a ref (it may come from XCom, i.e. from outside) and return its parts."""
    if not isinstance(ref, str):
        raise SettingError(f"artifact ref must be a str, got {type(ref).__name__}")
    parts = ref.split("/")
    if any(p in (".", "..") or not _REF_PART.fullmatch(p) for p in parts):
        raise SettingError(f"invalid artifact ref {ref!r}: expected relative components of [A-Za-z0-9._%-]")
    return parts


def _fit(part: str) -> str:
    """The file name for one encoded component: itself if it fits, else a readable prefix + ``~`` + its hash.

    Injective: encoded components never contain ``~``, shortened ones always do, and two
    shortened ones differ in their SHA-256. A leaf keeps its ``.pkl``.

    >>> _fit("clean")
    'clean'
    >>> _fit("%3A" * 100)[:12], len(_fit("%3A" * 100))
    ('%3A%3A%3A%3A', 164)
    """
    if len(part) <= _MAX_COMPONENT:
        return part
    suffix = ".pkl" if part.endswith(".pkl") else ""
    prefix = part[:_SHORT_PREFIX]
    cut = prefix.rfind("%", len(prefix) - 2)  # do not end inside a %XX escape
    return f"{prefix[:cut] if cut != -1 else prefix}~{hashlib.sha256(part.encode()).hexdigest()}{suffix}"


def _write_chunks(fh: Any, data: bytes) -> None:
    """Write ``data`` to ``fh`` in chunks (a seam the tests use to simulate a crash)."""
    view = memoryview(data).cast("B")
    start = 0
    while start < len(view):
        written = fh.write(view[start : start + _CHUNK])
        start += len(view[start : start + _CHUNK]) if written is None else written  # a raw file may write less


_FSYNC_EACH_UP_TO = 8  # a sync() of at most this many writes fsyncs each; more take one syncfs
_PARALLEL_HASH = 1 << 20  # pieces at least this large are hashed on a helper thread while the file takes them
_hash_pool: tuple[int, Any] | None = None  # (pid, executor): a forked worker makes its own


def _hasher_thread() -> Any:
    global _hash_pool
    if _hash_pool is None or _hash_pool[0] != os.getpid():
        from concurrent.futures import ThreadPoolExecutor

        _hash_pool = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="hamilflow-hash"))
    return _hash_pool[1]


def _dump(value: Any, writer: _HashingWriter) -> None:
    """Format 3's payload: the pickle stream with large buffers (arrays, DataFrame blocks) left out of it,
    then each buffer at an aligned offset, as it is in memory, then the table of their lengths."""
    buffers: list[Any] = []
    start = writer.position
    cloudpickle.dump(value, writer, protocol=5, buffer_callback=buffers.append)
    stream_length = writer.position - start
    lengths = []
    for buffer in buffers:
        raw = buffer.raw()
        pad = (-writer.position) % _ALIGN
        if pad:
            writer.write(bytes(pad))
        writer.write(raw)
        lengths.append(raw.nbytes)
    writer.write(_trailer(stream_length, lengths))


class _BytesFile:
    """A file object that keeps what is written (fsspec stores take one object)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(self.parts[-1])


class _HashingWriter:
    """What the pickler writes to: each piece goes through the hash and into the file, in order.

    SHA-256 and file writes both release the GIL, so a large piece (a DataFrame's block) is
    hashed on a helper thread while the file takes it: the write costs about the slower of
    the two, not their sum, and no piece is copied. A small artifact (an expander's item) is
    kept in ``held`` until it is complete, then written once, header first: no seek back.
    ``prefix`` is what the file holds before the payload once it spills (the header's place).
    """

    def __init__(
        self, fh: Any, hasher: Any, position: int = 0, prefix: bytes | None = None, opener: Any = None
    ) -> None:
        self.fh, self.hasher, self._opener = fh, hasher, opener  # opener: gives the file when it spills
        self.position = position  # the file offset the next byte goes to
        self._pending: Any = None
        self._prefix = prefix
        self.held: list[bytes] | None = [] if prefix is not None else None
        self._held_size = 0

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B") if not isinstance(data, bytes) else memoryview(data)
        self.position += view.nbytes
        if self.held is not None:
            if self._held_size + view.nbytes < _PARALLEL_HASH:
                self.hasher.update(view)
                self.held.append(bytes(view))
                self._held_size += view.nbytes
                return view.nbytes
            if self.fh is None:
                self.fh = self._opener()
            _write_chunks(self.fh, b"".join((self._prefix or b"", *self.held)))  # spill: stream from here on
            self.held = None
        self.finish()  # pieces are hashed in order
        if view.nbytes >= _PARALLEL_HASH:
            self._pending = _hasher_thread().submit(self.hasher.update, view)
        else:
            self.hasher.update(view)
        _write_chunks(self.fh, view)
        return view.nbytes

    def finish(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()


def _create_raw(tmp: str, directory: str) -> Any:
    """A new file, unbuffered (it takes one write), made again with its folder if the folder went away."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(tmp, flags, 0o666)
    except FileNotFoundError:
        os.makedirs(directory, exist_ok=True)
        fd = os.open(tmp, flags, 0o666)
    return open(fd, "wb", buffering=0)  # noqa: SIM115 - the caller closes it


def _trailer(stream_length: int, lengths: list[int]) -> bytes:
    """Format 3's table of the payload, after it: the pickle stream's length, then each buffer's."""
    table = b"".join(
        (stream_length.to_bytes(8, "big"), len(lengths).to_bytes(4, "big"), *(n.to_bytes(8, "big") for n in lengths))
    )
    return table + len(table).to_bytes(4, "big")


def _split_buffers(rest: memoryview, start: int) -> tuple[memoryview, list[memoryview]] | None:
    """The pickle stream and the out-of-band buffers of a verified format-3 body, as views (no copies);
    None if its table does not describe exactly the bytes there are."""
    if len(rest) - start < 16:
        return None
    size = int.from_bytes(rest[-4:], "big")
    if size < 12 or size > len(rest) - start - 4 or (size - 12) % 8:
        return None
    table = rest[len(rest) - 4 - size : len(rest) - 4]
    stream_length, count = int.from_bytes(table[:8], "big"), int.from_bytes(table[8:12], "big")
    if count != (size - 12) // 8:
        return None
    end = start + stream_length
    stream = rest[start:end]
    buffers = []
    for i in range(count):
        length = int.from_bytes(table[12 + 8 * i : 20 + 8 * i], "big")
        end += (-(end + _HEADER_LEN)) % _ALIGN
        buffers.append(rest[end : end + length])
        end += length
    if end != len(rest) - 4 - size:
        return None
    return stream, buffers


def _fsync_path(path: str, flags: int) -> None:
    """fsync a file or folder by path; a platform that cannot (folders on Windows) is skipped."""
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _load_syncfs() -> Any:
    """Linux's ``syncfs(fd)``: flush one file system (all its files and folders) in one call; None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        call = libc.syncfs
    except (OSError, AttributeError):
        return None

    def syncfs(path: str) -> bool:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return False
        try:
            return call(fd) == 0
        finally:
            os.close(fd)

    return syncfs


_syncfs = _load_syncfs()


def _as_key(secret: bytes | str | None, what: str) -> bytes | None:
    if secret is None:
        return None
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    if not key:
        hint = " (pass None to disable signing)" if what == "secret" else ""
        raise SettingError(f"{what} must not be empty{hint}")
    return key


def _mac(key: bytes, version: int, flags: int, identity: bytes, digest: bytes) -> bytes:
    size = len(identity).to_bytes(_ID_LEN, "big")
    return hmac.new(key, b"".join((_MAC_DOMAIN, bytes((version, flags)), size, identity, digest)), "sha256").digest()


@functools.lru_cache(maxsize=1)
def _machine() -> str:
    """This machine and pid namespace, as 12 hex digits: whose pids a sweep may check."""
    parts = [socket.gethostname()]
    with contextlib.suppress(OSError):
        with open("/proc/sys/kernel/random/boot_id") as fh:
            parts.append(fh.read().strip())
    with contextlib.suppress(OSError):
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))  # containers on one host differ here
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]


def _pid_alive(pid: int) -> bool:
    """Whether a process of this machine runs ``pid``; when unsure, yes (a live writer's file must stay)."""
    if os.name != "posix" or pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OverflowError, ValueError):
        return False  # no such pid can exist
    except OSError:  # EPERM: it exists, as another user
        return True
    try:  # a killed child not yet reaped by its parent is a zombie: dead, it writes nothing
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def _seconds(value: float | datetime.timedelta) -> float:
    return value.total_seconds() if isinstance(value, datetime.timedelta) else float(value)


def _mtime(info: dict[str, Any]) -> float | None:
    """Last modification of an fsspec entry, in seconds since the epoch, if the filesystem says."""
    for key in ("mtime", "LastModified", "last_modified", "updated", "modified", "created"):
        value = info.get(key)
        if isinstance(value, datetime.datetime):
            return value.timestamp()
        if isinstance(value, (int, float)):
            return float(value)
    return None


class ArtifactStore:
    """Store for task outputs, addressed by small string refs that fit in XCom.

    ``url`` is a local folder or any fsspec URL (``memory://``, ``s3://``...); ``file://``
    URLs are handled as local folders (fsync + ``os.replace``, no fsspec needed).
    With ``secret`` every artifact is signed for its ref and unsigned, foreign or
    misplaced artifacts are refused on read; ``verify_secrets`` are older keys that are
    still accepted. ``namespace`` (default ``$HAMILFLOW_STORE_NAMESPACE``, empty for none)
    separates deployments sharing one root. ``temp_max_age`` is how long a temp file of
    another machine must be left untouched before sweeps remove it.

    Example:
        >>> store = ArtifactStore("memory://doc-store", secret="s3cr3t")
        >>> ref = store.put(store.ref("dag", "run-1", "node", (0, 2)), {"a": 1})
        >>> ref, store.get(ref)
        ('dag/run-1/node/0.2.pkl', {'a': 1})
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        secret: bytes | str | None = None,
        verify_secrets: Iterable[bytes | str] = (),
        namespace: str | None = None,
        durable: bool | None = None,
        temp_max_age: float | datetime.timedelta = DEFAULT_TEMP_MAX_AGE,
    ) -> None:
        url = os.fspath(url) if url is not None else _DEFAULT_URL
        self._secret = _as_key(secret, "secret")
        if isinstance(verify_secrets, (str, bytes)):  # one key, not its characters
            verify_secrets = [verify_secrets]
        verify = [_as_key(s, "each of verify_secrets") for s in verify_secrets]
        if verify and self._secret is None:
            raise SettingError(
                "verify_secrets without a signing secret: pass secret= (HAMILFLOW_STORE_SECRET), "
                "the key new artifacts are signed with, as well"
            )
        self._keys: tuple[bytes, ...] = tuple(k for k in (self._secret, *verify) if k is not None)
        if namespace is None:
            namespace = os.environ.get(_ENV_NAMESPACE, "")
        self.namespace = namespace
        self._scope = (f"ns={_quote(namespace, 'namespace')}",) if namespace else ()
        # fsync makes an artifact survive an OS crash; atomic renames alone already rule out torn
        # artifacts when a worker dies. HAMILFLOW_STORE_DURABLE=0 trades the former for speed.
        if durable is None:
            durable = os.environ.get("HAMILFLOW_STORE_DURABLE", "1") not in ("0", "false", "no")
        self.durable = durable
        self.temp_max_age = _seconds(temp_max_age)
        self._swept: dict[str, float] = {}  # folder -> when this store's writes last swept it
        self._unsynced: list[str] = []  # artifacts written with sync=False, made durable by sync()
        self._folders: set[str] = set()  # folders this store made or found, so a batch makes each once
        self._fs: Any = None
        url = url.removeprefix("file://")
        if "://" in url:
            import fsspec  # lazy: local stores do not need it

            self._fs, root = fsspec.core.url_to_fs(url)
            self._root = root.rstrip("/")
            self.url = url
        else:
            self._root = str(Path(url).expanduser().absolute())
            self.url = self._root

    @classmethod
    def from_env(cls, default: str | os.PathLike[str] | None = None) -> ArtifactStore:
        """The store of ``$HAMILFLOW_STORE_URL``, else ``default``, else ``./.hamilflow/artifacts``.

        Secrets and namespace come from the environment as in :func:`store_from_env`;
        an empty secret means none.

        Example:
            >>> ArtifactStore.from_env("memory://fallback")  # doctest: +SKIP
            ArtifactStore('memory://fallback', signed=False)
        """
        url = os.environ.get(_ENV_URL) or default
        return store_from_env(url) if cls is ArtifactStore else cls(url, **_settings_from_env())

    def __repr__(self) -> str:
        namespace = f", namespace={self.namespace!r}" if self.namespace else ""
        return f"{type(self).__name__}({self.url!r}, signed={self._secret is not None}{namespace})"

    # ------------------------------------------------------------------ refs
    @staticmethod
    def ref(dag_id: str, run_id: str, node: str, map_index: Sequence[int] = ()) -> str:
        """Return the ref for one node output of one run; unmapped outputs are ``_.pkl``.

        Example:
            >>> ArtifactStore.ref("dag", "scheduled__2026-01-01T00:00:00+00:00", "n", (3,))
            'dag/scheduled__2026-01-01T00%3A00%3A00%2B00%3A00/n/3.pkl'
        """
        for i in map_index:
            if isinstance(i, bool) or not isinstance(i, int) or i < 0:
                raise SettingError(f"map_index must be a tuple of non-negative ints, got {map_index!r}")
        leaf = ".".join(str(i) for i in map_index) or "_"
        parts = (_quote(dag_id, "dag_id"), _quote(run_id, "run_id"), _quote(node, "node"))
        return "/".join((*parts, f"{leaf}.pkl"))

    def _path(self, *parts: str) -> str:
        """The path of encoded components (a ref's, or a prefix of one) in this store's namespace."""
        names = [_fit(p) for p in (*self._scope, *parts)]
        return "/".join((self._root, *names)) if self._fs is not None else os.path.join(self._root, *names)

    def _run_path(self, dag_id: str, run_id: str) -> str:
        return self._path(_quote(dag_id, "dag_id"), _quote(run_id, "run_id"))

    def _identity(self, ref: str) -> bytes:
        """What a signature binds besides the bytes: the namespace and the ref (dag, run, node, index)."""
        return "/".join((*self._scope, ref)).encode("ascii")

    def _where(self) -> str:
        return f"{self.url} (namespace {self.namespace!r})" if self.namespace else self.url

    # ------------------------------------------------------------- encoding
    def _identity_head(self, ref: str) -> tuple[bytes, bytes]:
        """``(identity, its length and itself)``: what follows the fixed header."""
        identity = self._identity(ref)
        if len(identity) > _MAX_IDENTITY:
            raise SettingError(
                f"artifact ref {ref[:100]!r}... is {len(identity)} bytes long, more than {_MAX_IDENTITY}: "
                "shorten the DAG id, run id or node name"
            )
        return identity, len(identity).to_bytes(_ID_LEN, "big") + identity

    def _header(self, identity: bytes, digest: bytes) -> bytes:
        """The fixed header: magic, version, flags, ``sha256(rest)`` and, with a secret, the identity-bound MAC."""
        if self._secret is None:
            flags, mac = 0, bytes(32)
        else:
            flags = _FLAG_SIGNED
            mac = _mac(self._secret, FORMAT_VERSION, flags, identity, digest)
        return b"".join((MAGIC, bytes((FORMAT_VERSION, flags)), digest, mac))

    def _encode(self, ref: str, value: Any) -> bytes:
        """The whole artifact as bytes (fsspec stores, which take one object); local files are streamed."""
        identity, head = self._identity_head(ref)
        hasher = hashlib.sha256(head)
        body = _BytesFile()
        _dump(value, _HashingWriter(body, hasher, _HEADER_LEN + len(head)))
        return b"".join((self._header(identity, hasher.digest()), head, *body.parts))

    @staticmethod
    def _split_identity(rest: bytes | memoryview) -> tuple[bytes, int] | None:
        """``(identity, where the payload starts)`` of a format-2 body, or None if malformed."""
        if len(rest) < _ID_LEN:
            return None
        end = _ID_LEN + int.from_bytes(rest[:_ID_LEN], "big")
        return (bytes(rest[_ID_LEN:end]), end) if end <= len(rest) else None

    def _decode(self, ref: str, blob: bytes | bytearray | mmap.mmap, rest_digest: bytes | None = None) -> Any:
        """Verify and unpickle an artifact's bytes; ``rest_digest`` is ``sha256(blob[72:])`` if already known
        (a local read hashes while it reads)."""

        def fail(problem: str, fix: str) -> ArtifactIntegrityError:
            return ArtifactIntegrityError(f"artifact {ref!r} in {self._where()} {problem}; {fix}")

        rerun = "delete it and rerun the task that produces it"
        if len(blob) < _HEADER_LEN or blob[: len(MAGIC)] != MAGIC:
            raise fail("is not a hamilflow artifact (bad header or truncated)", rerun)
        version, flags = blob[len(MAGIC)], blob[len(MAGIC) + 1]
        if version not in _READS:
            raise fail(f"has format version {version}, this hamilflow reads {', '.join(map(str, _READS))}", rerun)
        digest, mac = blob[len(MAGIC) + 2 : len(MAGIC) + 34], blob[len(MAGIC) + 34 : _HEADER_LEN]
        rest = memoryview(blob)[_HEADER_LEN:]
        if rest_digest is None:
            rest_digest = hashlib.sha256(rest).digest()
        if not hmac.compare_digest(rest_digest, digest):
            raise fail("failed its SHA-256 checksum (corrupted or partially copied)", rerun)
        if version == 1:
            if self._keys:
                raise fail(
                    "was written in format 1 by an older hamilflow, whose signature does not bind an artifact "
                    "to its ref, so it may have been copied from anywhere",
                    f"{rerun} with this hamilflow, which signs it for its ref",
                )
            return cloudpickle.loads(rest)
        expected = self._identity(ref)
        found = self._split_identity(rest)
        if self._keys:
            if not flags & _FLAG_SIGNED:
                raise fail(
                    "is unsigned but this store requires signatures",
                    "was it written without HAMILFLOW_STORE_SECRET? Give every task the same secret and rerun "
                    "the task that produces it",
                )
            if not any(hmac.compare_digest(_mac(k, version, flags, expected, digest), mac) for k in self._keys):
                if found is not None and found[0] != expected:
                    raise self._misplaced(ref, found[0], rerun)
                raise fail(
                    "has an invalid HMAC signature",
                    "was it written with a different HAMILFLOW_STORE_SECRET? Use one signing secret for all tasks "
                    "and rerun; after rotating the secret, list the previous one in HAMILFLOW_STORE_VERIFY_SECRETS",
                )
        if found is None:
            raise fail("is not a hamilflow artifact (bad identity header)", rerun)
        if found[0] != expected:
            raise self._misplaced(ref, found[0], rerun)
        if version == 2:
            return cloudpickle.loads(rest[found[1] :])
        layout = _split_buffers(rest, found[1])
        if layout is None:
            raise fail("is not a hamilflow artifact (bad buffer table)", rerun)
        stream, buffers = layout
        if isinstance(blob, bytes):  # arrays on immutable bytes would be read-only: give them their own memory
            buffers = [bytearray(b) for b in buffers]
        return cloudpickle.loads(stream, buffers=buffers)

    def _misplaced(self, ref: str, identity: bytes, rerun: str) -> ArtifactIntegrityError:
        written_for = identity[:600].decode("ascii", "replace")
        return ArtifactIntegrityError(
            f"artifact {ref!r} in {self._where()} was written for {written_for!r}, not for this ref: it was copied "
            f"or moved from another node, map index, run, DAG or namespace, and is refused unread; {rerun} "
            "(artifacts cannot be copied between refs)"
        )

    # ------------------------------------------------------------------ I/O
    def put(self, ref: str, value: Any, *, sync: bool = True) -> str:
        """Serialize ``value`` with cloudpickle and atomically write it under ``ref``.

        Local files: the pickle streams through SHA-256 into a temp file in the same folder
        (the header's place reserved, then written once the digest is known), then
        ``os.replace``; no copy of the value's bytes is made. ``sync=False`` leaves the fsyncs
        to :meth:`sync`, which makes a batch durable at once (an expander's items before its
        manifest). fsspec: temp object then ``fs.mv``, except object stores (s3, gcs, azure)
        whose single PUT is already atomic and which are written directly. Returns ``ref``.

        Example:
            >>> store = ArtifactStore("memory://doc-put")
            >>> store.put("d/r/n/_.pkl", 42)
            'd/r/n/_.pkl'
        """
        parts = _check_ref(ref)
        final = self._path(*parts)
        tmp_name = f".{_fit(parts[-1])[:64]}.{_machine()}.{os.getpid()}.{os.urandom(16).hex()}.tmp"
        if self._fs is None:
            directory = os.path.dirname(final)
            identity, head = self._identity_head(ref)
            durable = self.durable and sync
            self._put_local_stream(final, os.path.join(directory, tmp_name), identity, head, value, durable)
            if self.durable and not sync:
                self._unsynced.append(final)
            self._sweep_now_and_then(directory)
        else:
            directory = final.rsplit("/", 1)[0]
            if self._put_fsspec(final, f"{directory}/{tmp_name}", self._encode(ref, value)):
                self._sweep_now_and_then(directory)
        return ref

    def put_many(self, items: Iterable[tuple[str, Any]]) -> list[str]:
        """``put`` each ``(ref, value)``, then make them all durable with one :meth:`sync`."""
        refs = [self.put(ref, value, sync=False) for ref, value in items]
        self.sync()
        return refs

    def sync(self) -> None:
        """Make every write this store made with ``sync=False`` durable (file and folder entries).

        A few are fsynced one by one with their folders; more, on Linux, by one ``syncfs`` per
        file system (which also flushes what others wrote there, so it pays only for a batch).
        Call it before anything refers to those artifacts (a manifest, an XCom).
        """
        pending, self._unsynced = self._unsynced, []
        if not pending or not self.durable:
            return
        if _syncfs is not None and len(pending) > _FSYNC_EACH_UP_TO:
            devices: dict[int, str] = {}
            for directory in dict.fromkeys(os.path.dirname(p) for p in pending):
                with contextlib.suppress(OSError):
                    devices.setdefault(os.stat(directory).st_dev, directory)
            if all(_syncfs(path) for path in devices.values()):
                return
        for path in pending:
            _fsync_path(path, os.O_RDONLY)
        for directory in dict.fromkeys(os.path.dirname(p) for p in pending):
            _fsync_path(directory, os.O_RDONLY)

    def _put_local_stream(self, final: str, tmp: str, identity: bytes, head: bytes, value: Any, durable: bool) -> None:
        directory = os.path.dirname(final)
        if directory not in self._folders:
            os.makedirs(directory, exist_ok=True)
            if len(self._folders) > 10_000:
                self._folders.clear()
            self._folders.add(directory)

        def create() -> Any:
            try:
                return open(tmp, "xb")  # noqa: SIM115 - closed below
            except FileNotFoundError:  # the folder went away (a run deleted): make it again
                os.makedirs(directory, exist_ok=True)
                return open(tmp, "xb")  # noqa: SIM115

        writer = None
        try:
            hasher = hashlib.sha256(head)
            # the header's place is reserved, and written once the digest is known; a small artifact is
            # held until complete and written in one piece, a large one streams into the file it opens
            writer = _HashingWriter(None, hasher, _HEADER_LEN + len(head), bytes(_HEADER_LEN) + head, create)
            try:
                _dump(value, writer)
            finally:
                writer.finish()
            header = self._header(identity, hasher.digest())
            if writer.held is not None:
                with _create_raw(tmp, directory) as fh:
                    _write_chunks(fh, b"".join((header, head, *writer.held)))
                    if durable:
                        os.fsync(fh.fileno())
            else:
                with writer.fh as fh:
                    fh.seek(0)
                    fh.write(header)
                    fh.flush()
                    if durable:
                        os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            if writer is not None and writer.fh is not None:
                writer.fh.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        if durable:  # make the rename itself durable; not possible on every platform
            _fsync_path(directory, os.O_RDONLY)

    @staticmethod
    def _put_local(final: str, tmp: str, data: bytes, durable: bool = True) -> None:
        directory = os.path.dirname(final)
        os.makedirs(directory, exist_ok=True)
        try:
            with open(tmp, "xb") as fh:
                _write_chunks(fh, data)
                fh.flush()
                if durable:
                    os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        if durable:
            _fsync_path(directory, os.O_RDONLY)

    def _put_fsspec(self, final: str, tmp: str, data: bytes) -> bool:
        """Write through fsspec; True if a temp object was used (so there may be stray ones to sweep)."""
        fs = self._fs
        protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
        if protocols & _ATOMIC_PUT_PROTOCOLS:
            fs.pipe_file(final, data)
            return False
        fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        try:
            fs.pipe_file(tmp, data)
            fs.mv(tmp, final)
        except BaseException:
            with contextlib.suppress(Exception):  # best effort; keep the real error
                fs.rm_file(tmp)
            raise
        return True

    def _read(self, path: str, start: int = 0, end: int | None = None) -> bytes:
        if self._fs is not None:
            return self._fs.cat_file(path, start=start, end=end)
        with open(path, "rb") as fh:
            fh.seek(start)
            return fh.read() if end is None else fh.read(end - start)

    def get(self, ref: str) -> Any:
        """Read, verify and unpickle the artifact under ``ref``.

        Raises ``ArtifactNotFoundError`` if missing, ``ArtifactIntegrityError`` if the
        checksum, the ref it was written for or (with a secret) the signature does not
        match; nothing is unpickled then.

        Example:
            >>> store = ArtifactStore("memory://doc-get")
            >>> store.get(store.put("d/r/n/_.pkl", "hi"))
            'hi'
        """
        path = self._path(*_check_ref(ref))
        try:
            if self._fs is None:
                with open(path, "rb") as fh:
                    size = os.fstat(fh.fileno()).st_size
                    blob = None
                    if size >= _MMAP_FROM:
                        # mapped copy-on-write: hashed where it lies, and its buffers become the arrays' memory
                        with contextlib.suppress(OSError, ValueError):  # a file system that cannot map: read it
                            blob = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
                    if blob is None:
                        blob = bytearray(size)
                        fh.readinto(blob)
                        return self._decode(ref, blob)
                with contextlib.suppress(AttributeError, OSError):
                    blob.madvise(mmap.MADV_SEQUENTIAL)
                return self._decode(ref, blob)
            blob = self._read(path)
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ArtifactNotFoundError(f"artifact {ref!r} not found in store {self._where()}") from exc
        return self._decode(ref, blob)

    def get_many(self, refs: Iterable[str]) -> list[Any]:
        """``[store.get(r) for r in refs]``, in order."""
        return [self.get(ref) for ref in refs]

    def exists(self, ref: str) -> bool:
        """Whether an artifact is stored under ``ref``."""
        path = self._path(*_check_ref(ref))
        return os.path.isfile(path) if self._fs is None else bool(self._fs.isfile(path))

    def _files(self, base: str) -> Iterator[tuple[list[str], str, dict[str, Any] | None]]:
        """``(names below base, path, fsspec info or None)`` of every file under ``base``."""
        if self._fs is None:
            for directory, _, files in os.walk(base):
                rel = os.path.relpath(directory, base)
                for name in files:
                    names = [*(rel.split(os.sep) if rel != "." else ()), name]
                    yield names, os.path.join(directory, name), None
        elif self._fs.exists(base):
            for path, info in self._fs.find(base, detail=True).items():
                path = path.rstrip("/")
                yield path[len(base) + 1 :].split("/"), path, info

    def _ref_at(self, path: str, prefix: str) -> str | None:
        """The ref whose artifact is at ``path``, a shortened name, from its header; None if it is not one."""
        with contextlib.suppress(OSError, ValueError):
            head = self._read(path, 0, _HEADER_LEN + _ID_LEN)
            if len(head) == _HEADER_LEN + _ID_LEN and head.startswith(MAGIC) and head[len(MAGIC)] in (2, 3):
                size = int.from_bytes(head[_HEADER_LEN:], "big")
                if size > _MAX_IDENTITY:
                    return None
                identity = self._read(path, len(head), len(head) + size).decode("ascii")
                scope = "".join(f"{s}/" for s in self._scope)
                ref = identity.removeprefix(scope)
                if identity.startswith(scope) and ref.startswith(prefix) and self._path(*_check_ref(ref)) == path:
                    return ref
        return None

    def list_run(self, dag_id: str, run_id: str) -> list[str]:
        """Sorted refs of all artifacts of one run; abandoned temp files are swept, others skipped.

        Example:
            >>> store = ArtifactStore("memory://doc-list")
            >>> _ = store.put(store.ref("d", "r", "n"), 1)
            >>> store.list_run("d", "r")
            ['d/r/n/_.pkl']
        """
        run = f"{_quote(dag_id, 'dag_id')}/{_quote(run_id, 'run_id')}"
        refs, now = [], time.time()
        for names, path, info in self._files(self._run_path(dag_id, run_id)):
            if names[-1].startswith("."):
                if names[-1].endswith(".tmp"):
                    self._sweep_file(path, info, now, self.temp_max_age)
                continue
            if not names[-1].endswith(".pkl"):
                continue
            if any("~" in name for name in names):  # a shortened name: its header says its ref
                ref = self._ref_at(path, f"{run}/")
                if ref is not None:
                    refs.append(ref)
            else:
                refs.append("/".join((run, *names)))
        return sorted(refs)

    def delete_run(self, dag_id: str, run_id: str) -> None:
        """Remove every artifact of one run (and nothing else); a missing run is a no-op."""
        base = self._run_path(dag_id, run_id)
        if self._fs is None:
            if os.path.isdir(base):
                shutil.rmtree(base)
        elif self._fs.exists(base):
            self._fs.rm(base, recursive=True)

    # ----------------------------------------------------------- temp files
    def sweep_temp(
        self,
        older_than: float | datetime.timedelta | None = None,
        *,
        dag_id: str | None = None,
        run_id: str | None = None,
    ) -> list[str]:
        """Remove temp files left by killed writers, in this namespace (or one DAG, or one run).

        A temp file of this machine goes as soon as its writer's process is gone; one of
        another machine (or of an older hamilflow) once untouched for ``older_than``
        seconds (default ``temp_max_age``). A live writer's temp file is never removed.
        Returns the paths removed.

        Example:
            >>> ArtifactStore("memory://doc-sweep").sweep_temp(older_than=600)
            []
        """
        if run_id is not None and dag_id is None:
            raise SettingError("sweep_temp(run_id=...) needs the run's dag_id too")
        if dag_id is None:
            base = self._path()
        elif run_id is None:
            base = self._path(_quote(dag_id, "dag_id"))
        else:
            base = self._run_path(dag_id, run_id)
        age = self.temp_max_age if older_than is None else _seconds(older_than)
        now = time.time()
        return [
            path
            for names, path, info in self._files(base)
            if names[-1].startswith(".") and names[-1].endswith(".tmp") and self._sweep_file(path, info, now, age)
        ]

    def _sweep_file(self, path: str, info: dict[str, Any] | None, now: float, older_than: float) -> bool:
        """Remove one temp file if its writer is gone; True if removed."""
        name = path.rsplit("/" if self._fs is not None else os.sep, 1)[-1]
        match = _TEMP.search(name)
        if match and match["machine"] == _machine():
            abandoned = not _pid_alive(int(match["pid"]))
        else:
            try:
                mtime = os.stat(path).st_mtime if self._fs is None else _mtime(info or self._fs.info(path))
            except FileNotFoundError:
                return False  # renamed into place meanwhile
            abandoned = mtime is not None and now - mtime >= older_than
        if not abandoned:
            return False
        try:
            if self._fs is None:
                os.unlink(path)
            else:
                self._fs.rm_file(path)
        except FileNotFoundError:
            return False
        return True

    def _sweep_now_and_then(self, directory: str) -> None:
        """After a write: sweep its folder, at most once per ``_SWEEP_EVERY`` seconds; never fails the write."""
        now = time.monotonic()
        last = self._swept.get(directory)
        if last is not None and now - last < _SWEEP_EVERY:
            return
        if len(self._swept) > 10_000:
            self._swept.clear()
        self._swept[directory] = now
        with contextlib.suppress(Exception):  # a sweep is housekeeping: the artifact is already written
            wall = time.time()
            if self._fs is None:
                with os.scandir(directory) as entries:
                    temps = [e.path for e in entries if e.name.startswith(".") and e.name.endswith(".tmp")]
                for path in temps:
                    self._sweep_file(path, None, wall, self.temp_max_age)
            else:
                for info in self._fs.ls(directory, detail=True):
                    name = info["name"].rstrip("/").rsplit("/", 1)[-1]
                    if name.startswith(".") and name.endswith(".tmp"):
                        self._sweep_file(info["name"].rstrip("/"), info, wall, self.temp_max_age)


# ------------------------------------------------------------------ from the environment
def _settings_from_env() -> dict[str, Any]:
    """Secrets, namespace and durability as the environment gives them now."""
    secret = os.environ.get(_ENV_SECRET) or None
    verify = tuple(s.strip() for s in os.environ.get(_ENV_VERIFY, "").split(",") if s.strip())
    if verify and secret is None:
        raise SettingError(
            f"{_ENV_VERIFY} is set but {_ENV_SECRET} is empty: set {_ENV_SECRET} to the secret new artifacts "
            f"are signed with (the verify list only adds older keys that are still accepted)"
        )
    return {
        "secret": secret,
        "verify_secrets": verify,
        "namespace": os.environ.get(_ENV_NAMESPACE, ""),
        "durable": os.environ.get("HAMILFLOW_STORE_DURABLE", "1") not in ("0", "false", "no"),
    }


_FROM_ENV: dict[tuple, ArtifactStore] = {}


def default_store_url() -> str:
    """Where artifacts go unless told: ``$HAMILFLOW_STORE_URL``, else ``$AIRFLOW_HOME/hamilflow-artifacts``
    (an Airflow deployment's own folder), else ``./.hamilflow/artifacts``. The one home of this rule."""
    if os.environ.get(_ENV_URL):
        return os.environ[_ENV_URL]
    if os.environ.get("AIRFLOW_HOME"):
        return os.path.join(os.environ["AIRFLOW_HOME"], "hamilflow-artifacts")
    return os.path.abspath(_DEFAULT_URL)


def store_from_env(url: str | os.PathLike[str] | None = None) -> ArtifactStore:
    """The store at ``url`` (else :func:`default_store_url`), configured
    by the environment *now*: ``HAMILFLOW_STORE_SECRET``, ``HAMILFLOW_STORE_VERIFY_SECRETS``,
    ``HAMILFLOW_STORE_NAMESPACE``, ``HAMILFLOW_STORE_DURABLE``.

    Call it for every task rather than keeping a store: it returns one cached store per
    distinct configuration, so it is cheap, and a rotated secret or a changed URL or
    namespace takes effect at the next call.

    Example:
        >>> store_from_env("memory://doc-env") is store_from_env("memory://doc-env")
        True
    """
    url = os.fspath(url) if url is not None else default_store_url()
    local = url.removeprefix("file://")
    if "://" not in local:  # a relative folder means the current directory's
        url = str(Path(local).expanduser().absolute())
    settings = _settings_from_env()
    key = (url, *settings.values())
    store = _FROM_ENV.get(key)
    if store is None:
        if len(_FROM_ENV) > 64:  # only rotations and moves add entries; keep a long-lived worker bounded
            _FROM_ENV.clear()
        store = _FROM_ENV.setdefault(key, ArtifactStore(url, **settings))
    return store
