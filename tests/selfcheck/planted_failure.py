"""A planted failure for tests/selfcheck/test_survives_failure.py (not collected by the suite: no test_ prefix).

`test_fails` fails the way a test whose SDK client could not be built does (openai 3.63 on httpx2 2.17): it leaves
cyclic garbage whose finaliser raises ("AttributeError: ... has no attribute '_state'"). Here each finaliser leaves
one more such object, so there is always some for the cycle collector to find — including while pytest parses
sources for the report, which is what crashes CPython 3.11.7 without tests/ast_guard.py.
"""

import gc


class BrokenClient:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it

    def __del__(self):
        BrokenClient()  # the next collection finds another one
        raise AttributeError("'SyncHttpxClientWrapper' object has no attribute '_state'")


def test_before():
    assert sum(range(10)) == 45


def test_fails():
    for _ in range(50):
        BrokenClient()
    assert 6 * 7 == 43, "planted failure"


def test_after():
    assert "longdoc".upper() == "LONGDOC"


def test_last():
    assert len({1, 2}) == 2
