#!/usr/bin/env python3
"""Prints hermes-pki / OpenSSL time ratios from criterion's estimates (after `cargo bench`).

Usage: python3 scripts/bench-report.py [target/criterion]
A ratio below 1 means hermes-pki is faster than OpenSSL on that benchmark.
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")


def mean_ns(group: str, function: str) -> float:
    path = root / group / function / "new" / "estimates.json"
    return json.loads(path.read_text())["mean"]["point_estimate"]


def human(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"


print("| benchmark | hermes-pki | OpenSSL | ratio (hermes-pki / OpenSSL) |")
print("|---|---|---|---|")
for group in sorted(p.name for p in root.iterdir() if (p / "openssl").is_dir()):
    ours, theirs = mean_ns(group, "hermes-pki"), mean_ns(group, "openssl")
    print(f"| {group} | {human(ours)} | {human(theirs)} | {ours / theirs:.2f} |")

memory = root / "memory" / "results.json"
if memory.is_file():
    print()
    print("| memory | hermes-pki | OpenSSL | ratio (hermes-pki / OpenSSL) |")
    print("|---|---|---|---|")
    for name, r in sorted(json.loads(memory.read_text()).items()):
        ours, theirs = r["hermes-pki"], r["openssl"]
        print(f"| {name} (bytes kept each, {r['count']} kept) | {ours:.0f} B | {theirs:.0f} B "
              f"| {ours / theirs:.2f} |")
