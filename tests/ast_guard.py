"""Keep pytest alive through CPython 3.11.7's AST bug, so one failing test never hides the others.

On 3.11.7 (the default `python3` here; not seen on 3.12.1 or 3.13.0), building an AST can
fail with `SystemError: AST constructor recursion depth mismatch` when the cycle collector runs a finaliser in the
middle of it. pytest builds ASTs after tests have run — to show a failure's source, to rewrite the asserts of a
module imported late — and a failing test tends to leave exactly such garbage behind (an SDK client whose
constructor raised, with a `__del__` that then raises too). The SystemError escapes as INTERNALERROR and the
whole run stops. Pausing the collector while `ast.parse` runs removes the trigger; nothing else changes.
`LONGDOC_AST_GUARD=off` leaves `ast.parse` alone (tests/selfcheck shows what the guard is for).
"""

from __future__ import annotations

import ast
import functools
import gc
import os


def guard_ast_parse() -> None:
    if os.environ.get("LONGDOC_AST_GUARD", "").lower() == "off" or getattr(ast.parse, "_longdoc_guard", False):
        return
    parse = ast.parse

    @functools.wraps(parse)
    def guarded(*args, **kwargs):
        paused = gc.isenabled()
        gc.disable()
        try:
            return parse(*args, **kwargs)
        finally:
            if paused:
                gc.enable()

    guarded._longdoc_guard = True
    ast.parse = guarded
