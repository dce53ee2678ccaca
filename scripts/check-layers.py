#!/usr/bin/env python3
"""Lists the imports between the core crate's top-level modules and fails on one that points up.

The layers are those of ../shared/DESIGN.md ("The core crate, as layers"), lowest first. A
module may use modules of a lower layer. Inside one layer, a module may use another as long as
the two do not use each other (no cycle). Anything else is a violation, printed with the file
and line that makes it, and the exit status is 1.

It also holds the core crate's unit tests to the test layout of issue 18: they run no external
program (`std::process::Command`); tests against the `openssl` command and other peers live in
the tests crate (`tests/tests/`).

Usage: python3 scripts/check-layers.py [--quiet]
"""

from __future__ import annotations

import pathlib
import re
import sys
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parent.parent / "hermes-pki" / "src"

# Lowest layer first. Every top-level module of the core crate must be listed.
LAYERS: list[tuple[str, list[str]]] = [
    ("foundation", ["error", "time", "ber", "tlv", "rsa_math"]),
    ("certificates", ["cert"]),
    ("keys", ["key"]),
    ("formats", ["pkcs12"]),
    ("storage", ["store"]),
    ("revocation status", ["revocation"]),
    ("store operations", ["settings", "bundle", "lifecycle"]),
    ("trust", ["trust"]),
    ("CRLs", ["crl"]),
    ("issuance and selection", ["ca", "select"]),
    ("messages and requests", ["smime", "request"]),
    ("facade", ["pki"]),
]

LEVEL = {m: i for i, (_, mods) in enumerate(LAYERS) for m in mods}

# Imports that the layers allow but that put a rule in the wrong module.
FORBIDDEN: dict[tuple[str, str], str] = {
    ("smime", "ca"): "algorithm identifiers and signing belong to `key`, not to the CA",
    ("request", "smime"): "a request handler builds no messages",
}

# `use crate::x`, `crate::x::y`, and `use crate::{x, y::z}` groups.
PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
GROUP = re.compile(r"\buse\s+crate::\{([^}]*)\}", re.S)


def module_of(path: pathlib.Path) -> str | None:
    rel = path.relative_to(ROOT)
    if len(rel.parts) == 1:
        name = rel.stem
        return None if name == "lib" else name
    return rel.parts[0]


def is_test_file(path: pathlib.Path) -> bool:
    return path.name in ("tests.rs",) or path.name.endswith("_tests.rs")


def strip_test_modules(text: str) -> str:
    """Drops `#[cfg(test)] mod ... { ... }` blocks: tests may reach across layers."""
    out, i = [], 0
    marker = re.compile(r"#\[cfg\(test\)\]\s*(pub\s+)?mod\s+\w+\s*\{")
    while True:
        m = marker.search(text, i)
        if not m:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i : m.start()])
        depth, j = 1, m.end()
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j


def imports(text: str) -> list[tuple[int, str]]:
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        code = line.split("//", 1)[0]
        for m in PATH.finditer(code):
            found.append((lineno, m.group(1)))
    for m in GROUP.finditer(text):
        lineno = text.count("\n", 0, m.start()) + 1
        for item in m.group(1).split(","):
            name = item.strip().split("::", 1)[0].strip()
            if re.fullmatch(r"[a-z_][a-z0-9_]*", name or ""):
                found.append((lineno, name))
    return found


def main() -> int:
    quiet = "--quiet" in sys.argv
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    unknown: set[str] = set()
    for path in sorted(ROOT.rglob("*.rs")):
        src = module_of(path)
        if src is None or is_test_file(path):
            continue
        if src not in LEVEL:
            unknown.add(src)
            continue
        text = strip_test_modules(path.read_text(encoding="utf-8"))
        for lineno, dst in imports(text):
            if dst == src or dst in ("self", "super", "Error", "Result"):
                continue
            if dst not in LEVEL:
                continue
            edges[(src, dst)].append(f"{path.relative_to(ROOT.parent)}:{lineno}")

    violations = []
    for (src, dst), places in sorted(edges.items()):
        if LEVEL[dst] > LEVEL[src]:
            violations.append((src, dst, "points up", places))
        elif LEVEL[dst] == LEVEL[src] and (dst, src) in edges:
            violations.append((src, dst, "cycle inside a layer", places))
        elif (src, dst) in FORBIDDEN:
            violations.append((src, dst, FORBIDDEN[(src, dst)], places))

    if not quiet:
        print("layers (lowest first):")
        for i, (name, mods) in enumerate(LAYERS):
            present = [m for m in mods if (ROOT / m).exists() or (ROOT / f"{m}.rs").exists()]
            print(f"  {i:2} {name:24} {', '.join(present) or '-'}")
        print("\nimports between modules (module -> what it uses):")
        by_src: dict[str, list[str]] = defaultdict(list)
        for (src, dst), places in sorted(edges.items()):
            by_src[src].append(f"{dst}({len(places)})")
        for src in sorted(by_src, key=lambda m: (LEVEL[m], m)):
            print(f"  {src:10} -> {' '.join(by_src[src])}")
    for src in sorted(unknown):
        print(f"module `{src}` is in no layer: add it to LAYERS in {pathlib.Path(__file__).name}")
    if violations:
        print(f"\n{len(violations)} import(s) against the layers:")
        for src, dst, why, places in violations:
            print(f"  {src} -> {dst}: {why}; {len(places)} place(s), first {places[0]}")
        return 1
    if unknown:
        return 1
    commands = [
        f"{path.relative_to(ROOT.parent)}:{i}"
        for path in sorted(ROOT.rglob("*.rs"))
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bCommand::new\b|process::Command\b", line)
    ]
    if commands:
        print("\nthe core crate runs an external program (tests of peers go in tests/tests/):")
        for place in commands:
            print(f"  {place}")
        return 1
    print("\nno import points up; no external program run from the core crate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
