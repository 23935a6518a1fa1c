"""Names and paths that come from outside (browser uploads, CLI arguments) made safe to write under.

Why a module of its own: the CLI and the UI both turn user-supplied names into files inside the data
folder, and one shared rule is easier to test to exhaustion than two copies. A name is reduced to
one harmless path component (`safe_filename`); every path we are about to write is checked, after
resolving `..` and symlinks, to lie inside its base folder (`ensure_inside`).
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

# Most file systems cap one name at 255 bytes; leave room for prefixes such as "<sha8>-" and ".part".
MAX_NAME_BYTES = 200
_SUFFIX_MAX = 10  # longer "extensions" are not extensions worth keeping whole

# Characters Windows/SMB shares reject, and that shells treat specially; harmless to drop everywhere.
_RESERVED_CHARS = set('<>:"|?*\\/')
# Device names that Windows treats as special files whatever the extension.
_RESERVED_NAMES = {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}


class UnsafePathError(ValueError):
    """A path that would land outside the folder it belongs in; `message` is shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _truncate_utf8(text: str, max_bytes: int) -> str:
    """Cut at a character boundary so the result is still valid UTF-8 of at most `max_bytes`."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[:max_bytes].decode("utf-8", errors="ignore")


def safe_filename(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """One harmless file name from whatever a user or browser sent; "" when nothing usable is left.

    Keeps only the last path component (`../../etc/passwd` → `passwd`, `C:\\x\\y.pdf` → `y.pdf`), drops
    NUL and other control characters, reserved characters and leading dots (no hidden files, no `..`),
    and shortens to `max_bytes` UTF-8 bytes while keeping the extension, so `.pdf` stays `.pdf`.
    """
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").split("/")[-1]
    text = "".join(
        c for c in text if c.isprintable() and c not in _RESERVED_CHARS and unicodedata.category(c) != "Cf"
    )
    text = re.sub(r"\s+", " ", text).strip(" .")
    if not text:
        return ""
    stem, dot, suffix = text.rpartition(".")
    if not dot or not stem or len(suffix) > _SUFFIX_MAX or " " in suffix:
        stem, suffix = text, ""
    if stem.split(".")[0].strip().lower() in _RESERVED_NAMES:
        stem = "_" + stem
    tail = "." + suffix if suffix else ""
    stem = _truncate_utf8(stem, max(1, max_bytes - len(tail.encode("utf-8")))).rstrip(" .")
    if not stem:
        return ""
    return stem + tail


def ensure_inside(base: str | os.PathLike, path: str | os.PathLike) -> Path:
    """`path` resolved (relative paths are taken from `base`), if it lies strictly inside `base`.

    Raises UnsafePathError for `..` escapes, absolute paths elsewhere, symlinks pointing out, NUL
    bytes, and `base` itself (a file cannot be written as the folder). Resolving first is what makes
    the check honest: a string prefix test would let `base/../base-evil` through.
    """
    base_s, path_s = os.fspath(base), os.fspath(path)
    if "\x00" in base_s or "\x00" in path_s:
        raise UnsafePathError("refusing a path with a NUL byte")
    root = Path(base_s).expanduser().resolve()
    candidate = Path(path_s)
    if not candidate.is_absolute():
        candidate = root / candidate
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError) as e:  # symlink loops, names too long for the OS
        raise UnsafePathError(f"refusing an unusable path: {e}") from None
    if resolved == root or root not in resolved.parents:
        raise UnsafePathError(f"refusing to write outside {root}: {path_s!r}")
    return resolved


def safe_child(base: str | os.PathLike, name: str) -> Path:
    """The path for a user-named file directly inside `base`: `safe_filename` + `ensure_inside`."""
    clean = safe_filename(name)
    if not clean:
        raise UnsafePathError(f"no usable file name in {name!r}")
    return ensure_inside(base, clean)
