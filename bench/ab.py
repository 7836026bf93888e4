#!/usr/bin/env python3
"""Before/after for a change: runs two bench_train binaries (say, one built
from the commit before the change and one from HEAD) in turn, A B A B ..., on
this machine in one run, and prints each workload's samples/s for both with
the ratio B/A of the best runs (per thread count with --threads 1,2) and the median of the per-round ratios (rounds
pair A and B run back to back, so drift of a shared machine hits both).

  bench/ab.py OLD_BENCH_TRAIN NEW_BENCH_TRAIN [--rounds 5] [-- bench_train args]

One JSON line per round and workload, then a Markdown table. Python 3 only.
"""
import json
import statistics
import subprocess
import sys


def run(binary, args):
    out = subprocess.run([binary, "--json-only"] + args, check=True, stdout=subprocess.PIPE, text=True).stdout
    rows = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("{"):
            r = json.loads(line)
            if "samples_per_sec" in r:
                sizes = r["sizes"] if isinstance(r["sizes"], str) else ",".join(map(str, r["sizes"]))  # conv nets: text
                key = "%s b%d" % (sizes, r["batch"])
                rows[key + (" %dt" % r["threads"] if "threads" in r else "")] = r["samples_per_sec"]
    return rows


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    a, b = argv[0], argv[1]
    rest = argv[2:]
    rounds = 5
    if rest[:1] == ["--rounds"]:
        rounds, rest = int(rest[1]), rest[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    res = {"A": [], "B": []}
    for i in range(rounds):
        for name, binary in (("A", a), ("B", b)) if i % 2 == 0 else (("B", b), ("A", a)):
            res[name].append(run(binary, rest))
        for w in res["A"][-1]:
            print(json.dumps({"round": i, "workload": w, "A": res["A"][-1][w], "B": res["B"][-1].get(w)}), flush=True)
    print("\n| workload | A best | B best | B/A best | B/A median of rounds |")
    print("| --- | --- | --- | --- | --- |")
    for w in res["A"][0]:
        sa = [r[w] for r in res["A"]]
        sb = [r[w] for r in res["B"]]
        ratios = [y / x for x, y in zip(sa, sb)]
        print("| %s | %.0f | %.0f | %.3f | %.3f |" % (w, max(sa), max(sb), max(sb) / max(sa), statistics.median(ratios)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
