"""The per-process caches of what is expensive to open: one store per (matter folder, chroma_url, matter
collection), one embedder per model name (Chroma, torch).

A matter other than the default opens only once it is registered (`exists`, `require` live here because
opening asks them), so a typo in `--matter` is an error, not a new library.
"""

from __future__ import annotations

import threading
from pathlib import Path

from app.config import DEFAULT_MATTER, Settings, check_matter_name
from app.errors import NoSuchMatter
from app.library import access_db
from ingest.embed import Embedder, LazyEmbedder, get_embedder
from ingest.store import Store, open_store


def exists(settings: Settings, name: str) -> bool:
    """Whether matter `name` is registered and ready (the default always is)."""
    name = check_matter_name(name)
    if name == DEFAULT_MATTER:
        return True
    if not access_db.exists(settings):
        return False
    with access_db.connect(settings, write=False) as db:
        row = db.execute("SELECT state FROM matters WHERE name = ?", (name,)).fetchone()
    return row is not None and row["state"] == "ready"


def require(settings: Settings) -> None:
    """Raise NoSuchMatter unless the settings' matter exists (the default always does)."""
    if not exists(settings, settings.matter):
        raise NoSuchMatter(
            f"no matter named '{settings.matter}' — create it with `longdoc matter create {settings.matter}` "
            "(see `longdoc matter list`)"
        )


_STORES: dict[tuple, Store] = {}
_LOCK = threading.Lock()


def _key(settings: Settings) -> tuple:
    return (str(Path(settings.data_dir).expanduser().resolve()), settings.chroma_url or "", settings.collection)


def get_store(settings: Settings, check: bool = True) -> Store:
    key = _key(settings)
    with _LOCK:
        st = _STORES.get(key)
    if st is not None:
        return st
    if check and not settings.is_default_matter:
        require(settings)
    with _LOCK:
        st = _STORES.get(key)
        if st is None:
            st = _STORES[key] = open_store(Path(key[0]), settings.chroma_url, settings.collection)
        return st


def forget_stores(settings: Settings | None = None) -> None:
    """Drop cached stores: all of them (tests that delete a home folder), or one matter's (renamed, deleted)."""
    with _LOCK:
        if settings is None:
            _STORES.clear()
        else:
            st = _STORES.pop(_key(settings), None)
    if settings is not None and st is not None and st.embedded:
        try:  # release the embedded Chroma of that folder (before it is moved or deleted)
            st.client.close()
        except Exception:  # noqa: BLE001 - older chromadb without close(), or already released
            pass


def get_embedder_for(settings: Settings) -> Embedder:
    return get_embedder(settings.embedder or "default", settings.embed_backend)


_EMBEDDERS: dict[tuple, LazyEmbedder] = {}


def embedder_for(settings: Settings) -> LazyEmbedder:
    """The embedder ingest uses, loaded on first use and kept for the process (a worker's jobs share it)."""
    key = (settings.embedder or "default", settings.embed_backend)
    with _LOCK:
        emb = _EMBEDDERS.get(key)
        if emb is None:
            emb = _EMBEDDERS[key] = LazyEmbedder(*key)
        return emb
