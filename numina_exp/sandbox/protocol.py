"""The host <-> zygote wire format: one authenticated JSON message per line.

    <64 hex chars: HMAC-SHA256(key, direction + sequence number + payload)> <payload: ASCII JSON>\n

The key is 32 random bytes the host makes for each zygote and writes as the first thing on its stdin (never in
argv or the environment, which /proc shows). The zygote reads it straight into a MADV_WIPEONFORK page, so a
snippet's child, a fork of the zygote, starts with zeros where the key was. Each direction numbers its messages:
a replayed, reordered, injected or forged line fails the check. Whoever gets a line that fails it (or one that
is not what the protocol expects next) treats the other side as compromised: the host kills and restarts the
worker and gives the snippet a `killed` result; the zygote exits.

Stdlib only: the zygote imports this file as a top-level module.
"""
import hashlib
import hmac
import json

KEY_BYTES = 32
TO_ZYGOTE = b"h2z"
TO_HOST = b"z2h"
MAC_HEX = 64


class ProtocolError(Exception):
    """A line that is not a message of the protocol: the peer (or someone on its pipe) is not to be trusted."""


def encode(key, direction: bytes, seq: int, msg: dict) -> bytes:
    payload = json.dumps(msg, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    mac = hmac.digest(key, direction + seq.to_bytes(8, "little") + payload, hashlib.sha256)
    return mac.hex().encode("ascii") + b" " + payload + b"\n"


def decode(key, direction: bytes, seq: int, line: bytes) -> dict:
    """`line` without its newline -> the message; ProtocolError for anything else."""
    if len(line) < MAC_HEX + 3 or line[MAC_HEX:MAC_HEX + 1] != b" ":
        raise ProtocolError(f"malformed line ({len(line)} bytes)")
    try:
        got = bytes.fromhex(line[:MAC_HEX].decode("ascii"))
    except ValueError:
        raise ProtocolError("malformed MAC") from None
    payload = line[MAC_HEX + 1:]
    want = hmac.digest(key, direction + seq.to_bytes(8, "little") + payload, hashlib.sha256)
    if not hmac.compare_digest(got, want):
        raise ProtocolError(f"bad MAC on message {seq}")
    try:
        msg = json.loads(payload)
    except ValueError:  # cannot happen for a line with a good MAC, unless the key leaked
        raise ProtocolError("authenticated line is not JSON") from None
    if not isinstance(msg, dict):
        raise ProtocolError("message is not an object")
    return msg


def check_fields(msg: dict, spec: dict) -> dict:
    """Every key of `spec` present with one of its types (bool is not an int here)."""
    for k, types in spec.items():
        v = msg.get(k)
        if not isinstance(v, types) or (isinstance(v, bool) and bool not in _tuple(types)):
            raise ProtocolError(f"field {k!r} is {type(v).__name__}, expected {types}")
    return msg


def _tuple(t):
    return t if isinstance(t, tuple) else (t,)


DONE_FIELDS = {"id": int, "event": str, "returncode": int, "timed_out": bool, "truncated": bool,
               "stdout": str, "stderr": str, "elapsed": (int, float), "wall": (int, float), "leftovers": int,
               "script_path": str, "wipe_error": str}
REQUEST_FIELDS = {"id": int, "script": str, "timeout": (int, float), "wall_limit": (int, float), "echo": bool,
                  "preload": bool}
