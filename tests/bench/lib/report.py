#!/usr/bin/env python3
"""Turns the raw samples of tests/bench/run.sh into the markdown result tables.

usage: report.py RAW.tsv HEADER.md > latest.md
RAW.tsv lines: round <TAB> contender <TAB> metric <TAB> value
"""
import statistics
import sys

CONTENDERS = ["direct", "edge-proxy", "haproxy", "nginx-stream"]
PEERS = ["edge-proxy", "haproxy", "nginx-stream"]
# metric key -> (label, unit, higher is better, format)
METRICS = [
    ("cps", "new TLS connections/s (handshake + 1 request)", "conn/s", True, "%.0f"),
    ("bulk1", "bulk throughput, 1 connection", "MB/s", True, "%.0f"),
    ("bulk4", "bulk throughput, 4 connections", "MB/s", True, "%.0f"),
    ("lat_p50", "keep-alive latency p50 at fixed rate", "ms", False, "%.3f"),
    ("lat_p99", "keep-alive latency p99 at fixed rate", "ms", False, "%.3f"),
    ("lat_p99_added", "p99 added over direct (median p99 - direct's)", "ms", False, "%.3f"),
    ("rss_idle", "RSS idle, after start", "MiB", False, "%.1f"),
    ("rss_after", "RSS idle, after the round's load", "MiB", False, "%.1f"),
    ("rss_per_conn", "RSS per held idle TLS connection", "KiB", False, "%.1f"),
    ("cpu_per_gb", "proxy CPU per GB relayed", "s/GB", False, "%.2f"),
    ("cpu_per_10k", "proxy CPU per 10k new connections", "s", False, "%.2f"),
    ("cpu_per_10k_first", "the same, first connections after start (first round)", "s", False, "%.2f"),
    ("first_vs_warm", "first round / warm (median CPU per 10k)", "x", False, "%.2f"),
    ("start", "start to ready (edge: /readyz 200; others: port accepts)", "s", False, "%.3f"),
]
COUNTS = ["cps_new_conn_share", "cps_failed", "hold_opened", "lat_errors", "lat_requests"]


def load(path):
    data = {}
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 4:
            continue
        _, who, metric, value = parts
        try:
            v = float(value)
        except ValueError:
            continue
        if v != v:  # nan
            continue
        data.setdefault((who, metric), []).append(v)
    return data


def main():
    data = load(sys.argv[1])
    print(open(sys.argv[2]).read())
    med = {}
    for key, values in data.items():
        med[key] = statistics.median(values)
    # derived: p99 added over direct, from medians
    if ("direct", "lat_p99") in med:
        for who in CONTENDERS:
            if (who, "lat_p99") in med:
                med[(who, "lat_p99_added")] = med[(who, "lat_p99")] - med[("direct", "lat_p99")]
    # derived: first round against warm, from medians
    for who in PEERS:
        if (who, "cpu_per_10k_first") in med and med.get((who, "cpu_per_10k"), 0) > 0:
            med[(who, "first_vs_warm")] = med[(who, "cpu_per_10k_first")] / med[(who, "cpu_per_10k")]
    present = [c for c in CONTENDERS if any(k[0] == c for k in med)]

    print("## Absolute figures (median of rounds; min-max in brackets)\n")
    print("| metric | unit | " + " | ".join(present) + " |")
    print("| --- | --- |" + " --- |" * len(present))
    for key, label, unit, _, fmt in METRICS:
        cells = []
        for who in present:
            if (who, key) not in med:
                cells.append("-")
                continue
            values = data.get((who, key), [])
            cell = fmt % med[(who, key)]
            if len(values) > 1:
                cell += " (" + fmt % min(values) + "-" + fmt % max(values) + ")"
            cells.append(cell)
        if any(c != "-" for c in cells):
            print("| %s | %s | %s |" % (label, unit, " | ".join(cells)))

    print("\n## Ratios (of medians; >1 is better in every row)\n")
    print("| metric | " + " | ".join("%s / direct" % p for p in PEERS if p in present)
          + " | " + " | ".join("%s / best other peer" % p for p in PEERS if p in present) + " |")
    n = sum(1 for p in PEERS if p in present) * 2
    print("| --- |" + " --- |" * n)
    for key, label, _, higher, _ in METRICS:
        if key == "lat_p99_added":
            continue
        to_direct, to_peer = [], []
        for who in PEERS:
            if who not in present:
                continue
            mine = med.get((who, key))
            direct = med.get(("direct", key))
            others = [med[(o, key)] for o in PEERS if o != who and (o, key) in med]
            to_direct.append(ratio(mine, direct, higher))
            best = (max(others) if higher else min(others)) if others else None
            to_peer.append(ratio(mine, best, higher))
        if any(c != "-" for c in to_direct + to_peer):
            print("| %s | %s | %s |" % (label, " | ".join(to_direct), " | ".join(to_peer)))

    print("\n## Checks\n")
    print("| check | " + " | ".join(present) + " |")
    print("| --- |" + " --- |" * len(present))
    for key in COUNTS:
        cells = []
        for who in present:
            values = data.get((who, key))
            cells.append("-" if not values else " ".join("%g" % v for v in values))
        if any(c != "-" for c in cells):
            print("| %s | %s |" % (key, " | ".join(cells)))


def ratio(mine, other, higher):
    if mine is None or other is None or mine <= 0 or other <= 0:  # RSS deltas can be <= 0: no ratio
        return "-"
    return "%.2f" % (mine / other if higher else other / mine)


if __name__ == "__main__":
    main()
