"""The host <-> zygote wire format authenticates every line: a properly framed, signed line is refused
when its MAC is wrong, when it is an old line replayed at another sequence number, when it was signed
for the other direction, or when it was signed with another worker's key. (The older forged-reply test
sends unsigned JSON, which the framing check refuses before any MAC is compared.)

Then end to end: well-framed lines signed with a key that is not the worker's (another worker's), with
a flipped MAC, or replayed at an old sequence number, written on a live worker's reply pipe, never become
a result: the snippet in flight is `killed`, Executor.run does not raise, the next snippet runs."""
import os
import secrets

import pytest

from numina_exp.sandbox import Executor
from numina_exp.sandbox.protocol import KEY_BYTES, TO_HOST, TO_ZYGOTE, ProtocolError, decode, encode

from .conftest import FAST

MSG = {"id": 3, "event": "done", "returncode": 0, "stdout": "41\n"}


def _key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def test_a_signed_line_round_trips():
    key = _key()
    for direction in (TO_HOST, TO_ZYGOTE):
        for seq in (0, 1, 7, 2 ** 40):
            assert decode(key, direction, seq, encode(key, direction, seq, MSG).rstrip(b"\n")) == MSG


def test_wrong_mac_is_refused():
    key = _key()
    line = encode(key, TO_HOST, 4, MSG).rstrip(b"\n")
    for i in (0, 31, 63):  # one hex digit of the MAC changed, anywhere in it
        c = line[i:i + 1]
        bad = line[:i] + (b"0" if c != b"0" else b"1") + line[i + 1:]
        with pytest.raises(ProtocolError):
            decode(key, TO_HOST, 4, bad)
    # the payload changed under a valid MAC
    with pytest.raises(ProtocolError):
        decode(key, TO_HOST, 4, line.replace(b'"41\\n"', b'"42\\n"'))


def test_a_replayed_old_line_is_refused_at_any_other_sequence_number():
    key = _key()
    old = encode(key, TO_HOST, 2, MSG).rstrip(b"\n")
    assert decode(key, TO_HOST, 2, old) == MSG
    for seq in (0, 1, 3, 4, 2 + 2 ** 32):
        with pytest.raises(ProtocolError):
            decode(key, TO_HOST, seq, old)
    req = encode(key, TO_ZYGOTE, 5, {"id": 1, "script": "print(1)"}).rstrip(b"\n")
    with pytest.raises(ProtocolError):
        decode(key, TO_ZYGOTE, 6, req)


def test_a_line_signed_for_the_other_direction_is_refused():
    key = _key()
    with pytest.raises(ProtocolError):
        decode(key, TO_HOST, 0, encode(key, TO_ZYGOTE, 0, MSG).rstrip(b"\n"))
    with pytest.raises(ProtocolError):
        decode(key, TO_ZYGOTE, 0, encode(key, TO_HOST, 0, MSG).rstrip(b"\n"))


def test_a_line_signed_with_another_workers_key_is_refused():
    mine, theirs = _key(), _key()
    line = encode(theirs, TO_HOST, 0, MSG).rstrip(b"\n")
    assert decode(theirs, TO_HOST, 0, line) == MSG
    with pytest.raises(ProtocolError):
        decode(mine, TO_HOST, 0, line)


# ---------------------------------------------------------------- end to end, on a live worker
# These reach into the executor for two things a compromised snippet would hold: the write end of a
# worker's reply pipe (as tests/sandbox/test_integrity.py does) and the next sequence number it expects.

def _executor() -> Executor:
    return Executor(isolation="process", rules="default", **dict(FAST, workers=1))


@pytest.fixture
def victim():
    ex = _executor()
    yield ex
    ex.close()


def _warm(ex: Executor) -> None:
    """The worker started and ready (it has its key and has answered a request)."""
    assert [r.stdout for r in ex.run(["print(1)", "print(2)"])] == ["1\n", "2\n"]
    assert all(w.ready for w in ex._workers)


def _forge(ex: Executor, sign) -> None:
    """Write forged 'started' + 'done' lines for the next request on the worker's reply pipe, ahead of its
    zygote's real reply; `sign(seq, msg)` makes a line."""
    (w,) = ex._workers
    next_id = ex._ids + 1
    started = {"id": next_id, "event": "started", "pid": 1}
    done = {"id": next_id, "event": "done", "returncode": 0, "timed_out": False, "truncated": False,
            "stdout": "FORGED\n", "stderr": "", "elapsed": 0.01, "wall": 0.01, "leftovers": 0,
            "script_path": "/tmp/x.py"}
    fd = os.open(f"/proc/self/fd/{w.proc.stdout.fileno()}", os.O_WRONLY)
    try:
        os.write(fd, sign(w.seq_in, started) + sign(w.seq_in + 1, done))
    finally:
        os.close(fd)


def _assert_refused(ex: Executor) -> None:
    r = ex.run(["print(6 * 7)"])[0]  # never raises
    assert "FORGED" not in r.stdout
    assert r.status == "killed" and "protocol" in r.detail, (r.status, r.detail, r.stdout)
    assert [x.stdout for x in ex.run(["print(7 * 6)", "print(6 * 7)"])] == ["42\n", "42\n"]  # a fresh worker


def test_a_reply_signed_with_another_workers_key_is_killed_not_reported(victim):
    other = _executor()
    try:
        _warm(other)
        _warm(victim)
        (theirs,) = other._workers
        assert theirs.key != victim._workers[0].key
        _forge(victim, lambda seq, msg: encode(theirs.key, TO_HOST, seq, msg))
        _assert_refused(victim)
    finally:
        other.close()


def test_a_reply_with_a_wrong_mac_is_killed_not_reported(victim):
    _warm(victim)
    key = victim._workers[0].key

    def flipped(seq, msg):
        line = encode(key, TO_HOST, seq, msg)
        return (b"1" if line[:1] != b"1" else b"2") + line[1:]
    _forge(victim, flipped)
    _assert_refused(victim)


def test_a_replayed_reply_at_an_old_sequence_number_is_killed_not_reported(victim):
    _warm(victim)
    key = victim._workers[0].key
    # lines the worker's own key signed at sequence numbers it has already used: a replay of old lines
    _forge(victim, lambda seq, msg: encode(key, TO_HOST, seq - 2, msg))
    _assert_refused(victim)
