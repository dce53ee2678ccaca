#!/usr/bin/env python3
"""Whole-process comparison: `hermes-pki smime sign|encrypt|decrypt` against `openssl cms`.

Each run is one process start to exit, as a gateway script or a mail filter would call them:
wall time (median of --runs) and peak resident memory (GNU time's maximum RSS, when
/usr/bin/time is there) for the same message, key and certificate on both sides.

    python3 scripts/bench-cli.py [--size-mib 1] [--runs 15] [--bin target/release/hermes-pki]

Without --bin the release CLI is built first (`cargo build --release -p hermes-pki-cli`).
The store is a fresh SQLite store in a temporary directory: a CA, and Alice's RSA-2048
certificate with its key; OpenSSL gets the same key and certificate from the PKCS#12 file
the CLI wrote. Prints a Markdown table (the README's "Whole processes" table).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


GNU_TIME = "/usr/bin/time"


def run(cmd, env=None, check=True):
    """Runs cmd to completion: (seconds, peak RSS in bytes or None, exit code).

    The peak RSS comes from GNU time (Debian package `time`), which forks from a small
    process: the kernel carries a process's peak across exec, so a child forked from this
    Python process (which holds the test message) would report Python's size instead.
    """
    rss_file = None
    if os.access(GNU_TIME, os.X_OK):
        rss_file = tempfile.NamedTemporaryFile(delete=False)
        rss_file.close()
        cmd = [GNU_TIME, "-f", "%M", "-o", rss_file.name, *cmd]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, _ = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    peak = None
    if rss_file is not None:
        text = Path(rss_file.name).read_text().strip().splitlines()
        os.unlink(rss_file.name)
        peak = int(text[-1]) * 1024 if text and text[-1].isdigit() else None
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if check and code != 0:
        sys.exit(f"failed ({code}): {' '.join(map(str, cmd))}\n{stderr}")
    return elapsed, peak, code


def message(size):
    """A MIME message of about `size` bytes: text lines (as mail bodies are)."""
    head = (
        "From: alice@example.com\r\nTo: alice@example.com\r\nSubject: bench\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    line = "The quick brown fox jumps over the lazy dog, 0123456789 ABCDEFGHIJ.\r\n"
    return (head + line * (size // len(line) + 1)).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=float, default=1.0)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--bin", type=Path)
    args = ap.parse_args()

    if args.bin is None:
        subprocess.run(
            ["cargo", "build", "--release", "-q", "-p", "hermes-pki-cli"], cwd=ROOT, check=True
        )
        args.bin = ROOT / "target" / "release" / "hermes-pki"
    hp = str(args.bin.resolve())
    if not shutil.which("openssl"):
        sys.exit("the openssl command is needed")

    work = Path(tempfile.mkdtemp(prefix="hermes-bench-cli-"))
    try:
        env = dict(os.environ, HERMES_PKI_STORE=str(work / "store"))
        setup = [
            [hp, "ca", "create", "--cn", "Bench Root", "--org", "Bench", "--country", "DE",
             "--intermediate-cn", "Bench Mail CA"],
            [hp, "issue", "--email", "alice@example.com", "--cn", "Alice", "--p12",
             str(work / "alice.p12"), "--password", "bench"],
        ]
        for cmd in setup:
            run(cmd, env=env)
        pem = work / "alice.pem"
        subprocess.run(
            ["openssl", "pkcs12", "-in", str(work / "alice.p12"), "-passin", "pass:bench",
             "-nodes", "-out", str(pem)],
            check=True, capture_output=True,
        )
        cert = work / "alice-cert.pem"
        subprocess.run(
            ["openssl", "x509", "-in", str(pem), "-out", str(cert)], check=True,
            capture_output=True,
        )
        size = int(args.size_mib * 1024 * 1024)
        msg = work / "msg.eml"
        msg.write_bytes(message(size))  # (not kept in this process)
        enc_hp = work / "enc-hp.eml"
        enc_os = work / "enc-os.eml"
        run([hp, "smime", "encrypt", "--to", "alice@example.com", str(msg), str(enc_hp)], env=env)
        run(["openssl", "cms", "-encrypt", "-aes256", "-in", str(msg), "-out", str(enc_os),
             str(cert)])
        out = work / "out"
        cases = [
            ("sign",
             [hp, "smime", "sign", "--signer", "alice@example.com", str(msg), str(out)],
             ["openssl", "cms", "-sign", "-signer", str(pem), "-in", str(msg), "-out", str(out)]),
            ("encrypt",
             [hp, "smime", "encrypt", "--to", "alice@example.com", str(msg), str(out)],
             ["openssl", "cms", "-encrypt", "-aes256", "-in", str(msg), "-out", str(out),
              str(cert)]),
            ("decrypt",
             [hp, "smime", "decrypt", str(enc_os), str(out)],
             ["openssl", "cms", "-decrypt", "-in", str(enc_os), "-inkey", str(pem), "-recip",
              str(cert), "-out", str(out)]),
        ]
        mib = size / (1024 * 1024)
        print(f"| `smime` command, {mib:g} MiB message | hermes-pki | openssl cms | ratio "
              "| hermes-pki peak RSS | openssl peak RSS |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, ours, theirs in cases:
            # Alternate the two sides so that load on the machine falls on both alike.
            a, b, ra, rb = [], [], [], []
            for _ in range(args.runs):
                t, rss, _ = run(ours, env=env)
                a.append(t)
                ra.append(rss)
                t, rss, _ = run(theirs)
                b.append(t)
                rb.append(rss)
            ta, tb = statistics.median(a), statistics.median(b)
            def mib(values):
                known = [v for v in values if v is not None]
                return f"{max(known) / 2**20:.1f} MiB" if known else "-"

            print(f"| {name} | {ta * 1000:.1f} ms | {tb * 1000:.1f} ms | {ta / tb:.2f} "
                  f"| {mib(ra)} | {mib(rb)} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
