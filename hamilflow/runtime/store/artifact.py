"""ArtifactStore: atomic writes, verified reads, listing and deletion of a run's artifacts.

A local write streams into a temp file in the artifact's folder and is renamed over its final
name; an fsspec write goes to a temp object and is moved, except on object stores whose single
PUT is atomic. A read checks the digest and, with a secret, the identity-bound MAC before
anything is unpickled. See :mod:`hamilflow.runtime.store` for the format and threat model.
"""

from __future__ import annotations

import contextlib
import datetime
import mmap
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from hamilflow.errors import SettingError
from hamilflow.runtime.store import codec
from hamilflow.runtime.store.codec import (
    _HEADER_LEN,
    _ID_LEN,
    _MAX_IDENTITY,
    _WITH_IDENTITY,
    MAGIC,
    _dump,
    _HashingWriter,
)
from hamilflow.runtime.store.disk import _FSYNC_EACH_UP_TO, _create_raw, _fsync_path, _syncfs
from hamilflow.runtime.store.errors import ArtifactNotFoundError
from hamilflow.runtime.store.layout import _check_ref, _fit, _quote
from hamilflow.runtime.store.signing import _as_key, _Sealing
from hamilflow.runtime.store.sweep import DEFAULT_TEMP_MAX_AGE, _machine, _seconds, _TempSweeping

_MMAP_FROM = 1 << 20  # files at least this large are mapped, not read: their buffers are used in place
# Object stores where one PUT is atomic (readers see all or nothing) but "mv" is a
# non-atomic copy+delete: we write those directly to the final key, without temp files.
_ATOMIC_PUT_PROTOCOLS = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl"})
_ENV_URL = "HAMILFLOW_STORE_URL"
_ENV_NAMESPACE = "HAMILFLOW_STORE_NAMESPACE"
_DEFAULT_URL = "./.hamilflow/artifacts"


class ArtifactStore(_Sealing, _TempSweeping):
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
        from hamilflow.runtime.store.env import _settings_from_env, store_from_env  # env builds on this module

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

    # ------------------------------------------------------------------ I/O
    def put(self, ref: str, value: Any, *, sync: bool = True) -> str:
        """Serialize ``value`` with cloudpickle and atomically write it under ``ref``.

        Local files: the pickle streams through its digest into a temp file in the same folder
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
            if not self._object_store():
                if self._put_fsspec(final, f"{directory}/{tmp_name}", self._encode(ref, value)):
                    self._sweep_now_and_then(directory)
                return ref
            # streamed as locally, into a spool file (the value's bytes are never all in memory), then uploaded
            # from it (in parts; the object appears only when complete, so no reader sees part of it)
            identity, head = self._identity_head(ref)
            spool = _spool_path()
            try:
                self._put_local_stream(spool, spool + ".tmp", identity, head, value, durable=False)
                self._fs.put_file(spool, final, **self._upload_options())
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(spool)
        return ref

    def _upload_options(self) -> dict[str, Any]:
        """s3fs reads a file of less than two parts (100 MB by default) whole, and sends up to ten parts at once:
        parts of 5 MB (the least S3 takes), one at a time, keep an upload's memory small whatever the artifact's
        size (0.3x of a 48 MB array where 8 MB parts two at a time held 0.95x), at the cost of parallel parts."""
        protocols = {self._fs.protocol} if isinstance(self._fs.protocol, str) else set(self._fs.protocol)
        return {"chunksize": 5 << 20, "max_concurrency": 1} if protocols & {"s3", "s3a"} else {}

    def _object_store(self) -> bool:
        """Whether this fsspec store is an object store (s3, gcs, azure), whose uploads appear whole or not at all."""
        protocols = {self._fs.protocol} if isinstance(self._fs.protocol, str) else set(self._fs.protocol)
        return bool(protocols & _ATOMIC_PUT_PROTOCOLS)

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
            hasher = codec.content_hasher(codec.FORMAT_VERSION, head)
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
                    codec._write_chunks(fh, b"".join((header, head, *writer.held)))
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
                codec._write_chunks(fh, data)
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
        """Write through fsspec (not an object store): a temp object, then a move. Returns True (a temp object was
        used, so there may be stray ones to sweep)."""
        fs = self._fs
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
        if self._fs is not None and not self._object_store():
            try:
                blob = self._read(path)
            except (FileNotFoundError, IsADirectoryError) as exc:
                raise ArtifactNotFoundError(f"artifact {ref!r} not found in store {self._where()}") from exc
            return self._decode(ref, blob)
        if self._fs is not None:  # downloaded into a spool file (streamed), then read as a local artifact
            spool = _spool_path()
            try:
                try:
                    self._fs.get_file(path, spool)
                except (FileNotFoundError, IsADirectoryError) as exc:
                    raise ArtifactNotFoundError(f"artifact {ref!r} not found in store {self._where()}") from exc
                return self._get_local(spool, ref)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(spool)  # a mapped file stays readable until its arrays go
        try:
            return self._get_local(path, ref)
        except (FileNotFoundError, IsADirectoryError) as exc:
            raise ArtifactNotFoundError(f"artifact {ref!r} not found in store {self._where()}") from exc

    def _get_local(self, path: str, ref: str) -> Any:
        """Read, verify and unpickle the local file ``path`` as the artifact ``ref``."""
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
            if len(head) == _HEADER_LEN + _ID_LEN and head.startswith(MAGIC) and head[len(MAGIC)] in _WITH_IDENTITY:
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


_SPOOL_SWEEP_EVERY = 200  # spool files made by this process between two sweeps of the folder
_SPOOL_MAX_AGE = 3600.0  # a spool file older than this whose process is gone was left by a killed worker
_spooled = 0


def _spool_path() -> str:
    """A fresh local file name for an artifact on its way to or from a remote store (streamed through it).

    Now and then (and at a process's first use) the folder loses the files that killed processes left: those
    older than an hour whose process no longer runs.
    """
    global _spooled
    folder = os.path.join(tempfile.gettempdir(), f"hamilflow-spool-{os.getuid() if hasattr(os, 'getuid') else 0}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    if _spooled % _SPOOL_SWEEP_EVERY == 0:
        _sweep_spool(folder, time.time() - _SPOOL_MAX_AGE)
    _spooled += 1
    return os.path.join(folder, f"{os.getpid()}.{os.urandom(12).hex()}.pkl")


def _sweep_spool(folder: str, older_than: float) -> None:
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError, ValueError):
                pid = int(entry.name.split(".", 1)[0])
                if pid != os.getpid() and entry.stat().st_mtime < older_than and not _alive(pid):
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
