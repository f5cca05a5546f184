"""The wire format's framing and field checks, message by message: any text survives the trip (the
payload is ASCII JSON, whatever a snippet printed), the shortest message is accepted and anything shorter
or unframed is refused, and every refusal says why: the executor puts the reason into the `killed`
result (`broke the protocol (...)`, `sent a malformed result (...)`), the zygote into its exit line, so
the reason is what a user reads when a worker is killed. (Authentication: test_protocol_auth.py.)"""
import hashlib
import hmac
import secrets

import pytest

from numina_exp.sandbox.protocol import KEY_BYTES, MAC_HEX, TO_HOST, ProtocolError, check_fields, decode, encode

KEY = secrets.token_bytes(KEY_BYTES)


def _signed(payload: bytes, seq: int = 0) -> bytes:
    """A line with a valid MAC over any payload bytes (what only the key holder can make)."""
    mac = hmac.digest(KEY, TO_HOST + seq.to_bytes(8, "little") + payload, hashlib.sha256)
    return mac.hex().encode("ascii") + b" " + payload


def test_any_text_a_snippet_prints_round_trips_as_an_ascii_line():
    msg = {"stdout": "é ∑ 😀 \ud800 \x00 \n", "stderr": "Ω"}  # a lone surrogate, NUL, a newline
    line = encode(KEY, TO_HOST, 9, msg)
    assert line.isascii() and line.count(b"\n") == 1 and line.endswith(b"\n")
    assert decode(KEY, TO_HOST, 9, line[:-1]) == msg


def test_the_shortest_message_is_accepted_and_a_shorter_line_refused_as_malformed():
    line = encode(KEY, TO_HOST, 0, {}).rstrip(b"\n")
    assert len(line) == MAC_HEX + 3  # 64 hex, a space, "{}"
    assert decode(KEY, TO_HOST, 0, line) == {}
    for short in (line[:-1], line[:MAC_HEX + 1], line[:MAC_HEX - 3], b""):
        with pytest.raises(ProtocolError, match=rf"^malformed line \({len(short)} bytes\)$"):
            decode(KEY, TO_HOST, 0, short)


def test_a_line_without_the_space_after_the_mac_is_refused_as_malformed():
    line = encode(KEY, TO_HOST, 0, {"id": 1}).rstrip(b"\n")
    unframed = line[:MAC_HEX] + b"x" + line[MAC_HEX + 1:]
    with pytest.raises(ProtocolError, match=rf"^malformed line \({len(unframed)} bytes\)$"):
        decode(KEY, TO_HOST, 0, unframed)


def test_each_refusal_names_its_cause():
    line = encode(KEY, TO_HOST, 4, {"id": 1}).rstrip(b"\n")
    with pytest.raises(ProtocolError, match=r"^malformed MAC$"):
        decode(KEY, TO_HOST, 4, b"zz" + line[2:])
    with pytest.raises(ProtocolError, match=r"^bad MAC on message 5$"):
        decode(KEY, TO_HOST, 5, line)
    with pytest.raises(ProtocolError, match=r"^authenticated line is not JSON$"):
        decode(KEY, TO_HOST, 0, _signed(b"{not json"))
    with pytest.raises(ProtocolError, match=r"^message is not an object$"):
        decode(KEY, TO_HOST, 0, _signed(b"[1, 2]"))


def test_fields_of_the_wrong_type_are_refused_naming_field_and_type():
    spec = {"id": int, "elapsed": (int, float)}
    assert check_fields({"id": 3, "elapsed": 0.5, "extra": "x"}, spec) == {"id": 3, "elapsed": 0.5, "extra": "x"}
    with pytest.raises(ProtocolError, match=r"^field 'id' is str, expected <class 'int'>$"):
        check_fields({"id": "3", "elapsed": 1}, spec)
    with pytest.raises(ProtocolError, match=r"^field 'id' is NoneType"):
        check_fields({"elapsed": 1}, spec)  # missing
    # bool is an int to isinstance, not to the protocol
    with pytest.raises(ProtocolError, match=r"^field 'id' is bool"):
        check_fields({"id": True, "elapsed": 1}, spec)
    with pytest.raises(ProtocolError, match=r"^field 'elapsed' is bool"):
        check_fields({"id": 1, "elapsed": False}, spec)


def test_a_bool_is_accepted_where_the_spec_names_bool_alone_or_among_others():
    assert check_fields({"echo": True}, {"echo": bool}) == {"echo": True}
    assert check_fields({"flag": False}, {"flag": (int, bool)}) == {"flag": False}
