"""Random bytes on a live worker's reply pipe (what a snippet that reached the zygote's stdout could
write) never raise out of Executor.run: the snippet in flight comes back `killed` or runs untouched,
nothing on the pipe is ever reported as its output, and the next snippet runs."""
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numina_exp.sandbox import Executor

from .conftest import FAST


@pytest.fixture(scope="module")
def ex():
    e = Executor(isolation="process", rules="default", **dict(FAST, workers=1))
    yield e
    e.close()


GARBAGE = st.one_of(
    st.binary(min_size=1, max_size=300),
    st.binary(min_size=1, max_size=120).map(lambda b: b + b"\n"),
    st.from_regex(rb"[0-9a-f]{64} \{[^\n]{0,80}\}\n", fullmatch=True),  # framed like a message, unsigned
    st.just(b"\n" * 3),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=GARBAGE)
def test_random_bytes_on_the_reply_pipe_never_raise(ex, junk):
    assert ex.run(["print(1)"])[0].stdout == "1\n"  # a ready worker
    (w,) = ex._workers
    fd = os.open(f"/proc/self/fd/{w.proc.stdout.fileno()}", os.O_WRONLY)
    try:
        os.write(fd, junk)
    finally:
        os.close(fd)
    r = ex.run(["print(6 * 7)"])[0]  # must not raise
    assert r.status in ("ok", "killed"), (r.status, r.detail)
    assert r.stdout in ("42\n", ""), r.stdout
    assert ex.run(["print(7 * 6)"])[0].stdout == "42\n"
