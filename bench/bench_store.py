"""The artifact store against plain pickle and the disk (issue 11, part 3).

A DataFrame of about 200 MB (8 float columns) is written and read back, each in alternation,
min of the repeats:

* *disk*: its bytes written to a file with one ``write`` and ``fsync``;
* *plain pickle*: ``pickle.dump`` (protocol 5) to a file and ``fsync``; ``pickle.load`` from it;
* *store*: ``ArtifactStore.put`` (durable: fsync of the file and its folder, signed with a
  secret) and ``get`` (checksum, identity and signature checked before unpickling).

Reads are from the page cache (the file was just written), as a task reading its upstream's
output on the same machine mostly does. Peak memory is measured in a fresh process per
operation: its peak RSS during the operation (the value included; for a write, the peak of
building the value is reset first) minus its RSS after its imports, over the artifact's
size. Then an expander's 1,000 small items, each time into a new run as an expander writes
them: one durable ``put`` each (two fsyncs per item, as before), ``put_many`` (a file each, one
flush for all), and packed 64 to a segment as compiled tasks now write them
(:mod:`hamilflow.runtime.items`), then the manifest.

Run: ``python bench/bench_store.py [--mb 200] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MEMORY = textwrap.dedent(
    """
    import json, os, pickle, sys
    import numpy as np, pandas as pd
    from hamilflow.runtime.store import ArtifactStore

    def rss():
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    op, root, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = ArtifactStore(root, secret="bench-secret")
    ref = store.ref("bench", "run", "frame")
    path = os.path.join(root, "plain.pkl")
    before = rss()  # the process with its imports: what the task holds besides the value
    if op in ("put", "dump"):
        frame = pd.DataFrame(np.random.rand(mb * 1_000_000 // 64, 8))
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # the peak so far was building the frame (pandas copies the array): start it again
        if op == "put":
            store.put(ref, frame)
        else:
            with open(path, "wb") as fh:
                pickle.dump(frame, fh, protocol=5)
    else:
        if op == "get":
            frame = store.get(ref)
        else:
            with open(path, "rb") as fh:
                frame = pickle.load(fh)
    with open("/proc/self/status") as fh:  # VmHWM: this process's peak (ru_maxrss keeps the parent's across exec)
        peak = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM:"))
    print(json.dumps({"added": peak - before, "size": int(frame.memory_usage().sum())}))
    """
)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import numpy as np
    import pandas as pd

    from hamilflow.runtime.items import write_items
    from hamilflow.runtime.store import ArtifactStore

    root = Path(tempfile.mkdtemp(prefix="hamilflow-bench-store-"))
    store = ArtifactStore(root, secret="bench-secret")
    ref = store.ref("bench", "run", "frame")
    frame = pd.DataFrame(np.random.rand(args.mb * 1_000_000 // 64, 8))
    size = int(frame.memory_usage().sum())
    raw = frame.to_numpy().tobytes()
    plain = root / "plain.pkl"

    def disk() -> None:
        with open(root / "raw.bin", "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())

    def dump() -> None:
        with open(plain, "wb") as fh:
            pickle.dump(frame, fh, protocol=5)
            fh.flush()
            os.fsync(fh.fileno())

    def load() -> None:
        with open(plain, "rb") as fh:
            pickle.load(fh)

    figures: dict[str, list[float]] = {"disk": [], "dump": [], "put": [], "load": [], "get": []}
    for _ in range(args.repeat):  # in alternation, so that a burst elsewhere hits every one
        figures["disk"].append(best(disk, 1))
        figures["dump"].append(best(dump, 1))
        figures["put"].append(best(lambda: store.put(ref, frame), 1))
        figures["load"].append(best(load, 1))
        figures["get"].append(best(lambda: store.get(ref), 1))
    pd.testing.assert_frame_equal(store.get(ref), frame)
    rate = {k: size / min(v) / 1e6 for k, v in figures.items()}
    raw = b""

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    memory = {}
    for op in ("dump", "put", "load", "get"):
        out = subprocess.run(
            [sys.executable, "-c", MEMORY, op, str(root), str(args.mb)], env=env, capture_output=True, text=True
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        memory[op] = result["added"] / result["size"]

    items = [{"row": i, "name": f"item-{i}"} for i in range(1000)]

    def one_by_one(run: str) -> None:
        for j, item in enumerate(items):
            store.put(store.ref("bench", run, "item", (j,)), item)
        store.put(store.ref("bench", run, "item"), len(items))

    def batched(run: str) -> None:
        store.put_many((store.ref("bench", run, "item", (j,)), item) for j, item in enumerate(items))
        store.put(store.ref("bench", run, "item"), len(items))

    def segmented(run: str) -> None:  # what an expander's task does now (hamilflow.runtime.items)
        write_items(store, "bench", run, "item", (), items)
        store.sync()
        store.put(store.ref("bench", run, "item"), len(items))

    each, batch, packed = [], [], []
    for attempt in range(5):  # each into a run of its own, as an expander writes (rewriting files costs more)
        each.append(best(lambda attempt=attempt: one_by_one(f"each-{attempt}"), 1))
        batch.append(best(lambda attempt=attempt: batched(f"batch-{attempt}"), 1))
        packed.append(best(lambda attempt=attempt: segmented(f"packed-{attempt}"), 1))

    version = sys.version.split()[0]
    print(f"\nartifact store, a {size / 1e6:.0f} MB DataFrame (python {version}, {os.cpu_count()} cores)")
    print("| operation | MB/s | vs plain pickle | task peak memory / artifact |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| disk: write + fsync | {rate['disk']:.0f} | | |")
    print(f"| plain pickle: dump + fsync | {rate['dump']:.0f} | 1.00x | {memory['dump']:.2f}x |")
    put, dump = rate["put"], rate["dump"]
    print(f"| store put (signed, durable) | {put:.0f} | {put / dump:.2f}x | {memory['put']:.2f}x |")
    print(f"| plain pickle: load | {rate['load']:.0f} | 1.00x | {memory['load']:.2f}x |")
    print(f"| store get (verified) | {rate['get']:.0f} | {rate['get'] / rate['load']:.2f}x | {memory['get']:.2f}x |")
    print(f"| 1,000 expander items, a durable put each | {min(each) * 1000:.0f} ms | | |")
    print(f"| 1,000 expander items, put_many + manifest | {min(batch) * 1000:.0f} ms | | |")
    print(f"| 1,000 expander items, 64 per segment + manifest (as tasks do) | {min(packed) * 1000:.0f} ms | | |")
    results = {
        "size": size,
        "mb_per_s": rate,
        "memory_added_over_size": memory,
        "items_each_ms": min(each) * 1000,
        "items_batched_ms": min(batch) * 1000,
        "items_segmented_ms": min(packed) * 1000,
    }
    (REPO / "bench" / "results" / "bench_store.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
