"""The GIL is released while the core works: a Python thread keeps running during a long
call into hermes_pki, and two threads use one store at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Callable, List, Tuple

import pytest

import hermes_pki
from hermes_pki import KeyType, OpenedKind, Pki

if TYPE_CHECKING:
    from conftest import Gateway

BIG = (
    b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: big\r\n\r\n"
    + b"0123456789abcdef" * (256 * 1024)  # 4 MiB
)


def ticks_during(call: Callable[[], object]) -> Tuple[int, float]:
    """How often a pure-Python thread ticked while `call` ran in this thread (in the middle
    80% of the call), and how long the call took. With the GIL held by the call the other
    thread cannot run at all."""
    ticks: List[float] = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)

    t = threading.Thread(target=ticker)
    t.start()
    time.sleep(0.02)
    start = time.perf_counter()
    call()
    end = time.perf_counter()
    stop.set()
    t.join()
    # Only the middle 80% of the call counts: at its edges the interpreter itself may hand
    # the GIL to the ticker (between bytecodes), the more so on a loaded machine.
    took = end - start
    lo, hi = start + 0.1 * took, end - 0.1 * took
    return sum(1 for x in ticks if lo < x < hi), took


def test_the_measure_sees_a_call_that_holds_the_gil() -> None:
    # bytes.replace runs in C without releasing the GIL: the ticker cannot tick meanwhile.
    data = b"ab" * 40_000_000
    inside, took = ticks_during(lambda: data.replace(b"a", b"c"))
    assert took > 0.02 and inside <= 3


def _operation(gw: Gateway, name: str) -> Callable[[], object]:
    pki = gw.pki
    if name == "protect":
        return lambda: pki.protect(BIG, "alice@example.com", ["bob@example.com"])
    if name == "open_message":
        msg = pki.protect(BIG, "alice@example.com", ["bob@example.com"]).messages[0].message
        return lambda: pki.open_message(msg)
    if name == "import_pkcs12":
        p12 = pki.export_pkcs12(gw.alice.certificate, "pw", iterations=600_000)
        return lambda: Pki.in_memory().import_pkcs12(p12, "pw")
    if name == "request":
        # RSA-3072 key generation and issuance in one request.
        return lambda: pki.request("carol@example.com", "Carol", key=KeyType.RSA_3072)
    bundle = b"".join(c.to_pem().encode() for c in pki.list_certificates()) * 2000
    if name == "load_certificates":
        return lambda: hermes_pki.load_certificates(bundle)
    # A storage call: parse 16,000 PEM blocks and store them in one transaction.
    return lambda: pki.import_certificates(bundle)


@pytest.mark.parametrize(
    "operation",
    [
        "protect",
        "open_message",
        "import_pkcs12",
        "load_certificates",
        "import_certificates",
        "request",
    ],
)
def test_another_thread_runs_during_a_call(gw: Gateway, operation: str) -> None:
    inside, took = ticks_during(_operation(gw, operation))
    assert took > 0.05, f"{operation} took {took:.3f} s: too short to show anything"
    # The ticker sleeps 0.5 ms; with the GIL released it ticks many times during the call.
    assert inside >= 10, f"{inside} ticks during {took:.3f} s of {operation}"


def test_two_threads_protect_and_open_on_one_store_at_once(gw: Gateway) -> None:
    mail = BIG[: 64 * 1024]

    def round_trip(_: int) -> bool:
        p = gw.pki.protect(mail, "alice@example.com", ["bob@example.com"])
        o = gw.pki.open_message(p.messages[0].message)
        return o.kind is OpenedKind.PROCESSED and o.is_valid and o.entity is not None

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert all(pool.map(round_trip, range(4)))
