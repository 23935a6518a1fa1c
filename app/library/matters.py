"""Matters: separate libraries inside one installation, so matter A's documents never reach matter B.

A matter owns its Chroma collections, BM25 index, uploads, exports and caches — all reached through
the matter-aware Settings properties (`collection`, `data_dir`, `uploads_dir`, `out_dir`). The default
matter is LONGDOC_HOME itself, so libraries made before matters existed are the default matter as they
are. Names live in the access database; a matter other than the default must be created first, so a
typo in `--matter` is an error rather than a new, empty library.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from app.config import DEFAULT_MATTER, MATTERS_DIR, Settings, check_matter_name
from app.errors import MatterError as MatterError  # named here too: the errors of matters
from app.errors import NoSuchMatter as NoSuchMatter
from app.library import access_db, jobs, stores
from app.library.stores import exists as exists  # asked before a matter's store opens; named here too
from app.library.stores import require as require


@dataclass(frozen=True)
class Matter:
    name: str
    created_at: str  # "" for the default matter (it is as old as the installation)
    documents: int | None = None  # filled by list_matters(count=True)

    def as_dict(self) -> dict:
        return {"name": self.name, "created_at": self.created_at, "documents": self.documents}


def for_matter(settings: Settings, name: str | None) -> Settings:
    """The same settings scoped to matter `name` (None keeps the current one)."""
    if name is None:
        return settings
    return settings.replace(matter=check_matter_name(name))


def names(settings: Settings) -> list[str]:
    """Every matter, the default first."""
    rows: list[str] = []
    if access_db.exists(settings):
        with access_db.connect(settings, write=False) as db:
            rows = [r["name"] for r in db.execute("SELECT name FROM matters WHERE state = 'ready' ORDER BY name")]
    return [DEFAULT_MATTER] + [n for n in rows if n != DEFAULT_MATTER]


def list_matters(settings: Settings, count: bool = False) -> list[Matter]:
    created: dict[str, str] = {}
    if access_db.exists(settings):
        with access_db.connect(settings) as db:
            created = {r["name"]: r["created_at"] for r in db.execute("SELECT name, created_at FROM matters WHERE state = 'ready'")}
    out = []
    for n in names(settings):
        docs = None
        if count:
            docs = len(stores.get_store(for_matter(settings, n)).documents())
        out.append(Matter(n, created.get(n, ""), docs))
    return out


def create(settings: Settings, name: str) -> Matter:
    name = check_matter_name(name)
    if name == DEFAULT_MATTER:
        raise MatterError("the default matter always exists")
    with access_db.connect(settings) as db:
        row = db.execute("SELECT state FROM matters WHERE name = ?", (name,)).fetchone()
        if row is not None:
            if row["state"] == "deleting":
                raise MatterError(f"matter '{name}' is half deleted: run `longdoc matter delete {name}` again to finish")
            raise MatterError(f"matter '{name}' already exists")
        folder = for_matter(settings, name).data_dir
        if folder.exists() and any(folder.iterdir()):
            raise MatterError(f"{folder} already holds files: move them away or pick another name")
        at = access_db.now_iso()
        db.execute("INSERT INTO matters (name, created_at) VALUES (?, ?)", (name, at))
    for_matter(settings, name).data_dir.mkdir(parents=True, exist_ok=True)
    return Matter(name, at)


def _registered(db, name: str) -> str | None:
    row = db.execute("SELECT state FROM matters WHERE name = ?", (name,)).fetchone()
    return None if row is None else row["state"]


def rename(settings: Settings, old: str, new: str) -> Matter:
    """Rename a matter: its folder, Chroma collections and grants move with it; documents stay as they are."""
    old, new = check_matter_name(old), check_matter_name(new)
    if DEFAULT_MATTER in (old, new):
        raise MatterError("the default matter keeps its name (its library is LONGDOC_HOME itself); create a new matter instead")
    if old == new:
        raise MatterError("the new name is the same as the old one")
    src, dst = for_matter(settings, old), for_matter(settings, new)
    _no_running_jobs(settings, old, "renamed")
    with access_db.connect(settings) as db:
        if _registered(db, old) != "ready":
            raise NoSuchMatter(f"no matter named '{old}' (see `longdoc matter list`)")
        if _registered(db, new) is not None:
            raise MatterError(f"matter '{new}' already exists")
        if dst.data_dir.exists() and any(dst.data_dir.iterdir()):
            raise MatterError(f"{dst.data_dir} already holds files: move them away or pick another name")
        # Chroma first (inside the transaction: a failure leaves the registry unchanged)
        if src.data_dir.exists() or src.chroma_url:
            stores.get_store(src, check=False).rename_collection(dst.collection)
        stores.forget_stores(src)
        if src.data_dir.exists():
            dst.data_dir.parent.mkdir(parents=True, exist_ok=True)
            if dst.data_dir.exists():
                dst.data_dir.rmdir()
            src.data_dir.rename(dst.data_dir)
        db.execute("UPDATE matters SET name = ? WHERE name = ?", (new, old))
        db.execute("UPDATE tokens SET matter = ? WHERE matter = ?", (new, old))
        db.execute("UPDATE grants SET matter = ? WHERE matter = ?", (new, old))
        at = db.execute("SELECT created_at FROM matters WHERE name = ?", (new,)).fetchone()["created_at"]
    jobs.move_matter(settings, old, new)
    return Matter(new, at)


def delete(settings: Settings, name: str) -> int:
    """Delete a matter: its documents, vectors, BM25 index, uploads, exports, tokens and grants.

    Access goes first (the row turns 'deleting', tokens and grants are removed), then the data; an
    interrupted delete is finished by running it again. Returns how many documents were removed.
    """
    name = check_matter_name(name)
    if name == DEFAULT_MATTER:
        raise MatterError("the default matter cannot be deleted; remove its documents with `longdoc rm` instead")
    target = for_matter(settings, name)
    with access_db.connect(settings) as db:
        if _registered(db, name) is None:
            raise NoSuchMatter(f"no matter named '{name}' (see `longdoc matter list`)")
    _no_running_jobs(settings, name, "deleted")
    with access_db.connect(settings) as db:
        db.execute("UPDATE matters SET state = 'deleting' WHERE name = ?", (name,))
        db.execute("DELETE FROM tokens WHERE matter = ?", (name,))
        db.execute("DELETE FROM grants WHERE matter = ?", (name,))
    n = 0
    if target.data_dir.exists() or target.chroma_url:
        store = stores.get_store(target, check=False)
        n = len(store.documents())
        store.drop()
    stores.forget_stores(target)
    folder = Path(target.data_dir)
    if folder.exists():
        if folder.resolve().parent != (Path(settings.home) / MATTERS_DIR).resolve():
            raise MatterError(f"refusing to delete {folder}: not a matter folder")  # never reached for checked names
        shutil.rmtree(folder)
    jobs.drop_matter(settings, name)  # queued work of the matter goes too: it has nowhere to land
    with access_db.connect(settings) as db:
        db.execute("DELETE FROM matters WHERE name = ?", (name,))
    return n


def _no_running_jobs(settings: Settings, name: str, what: str) -> None:
    """A worker writing into the matter would land its document in the old name's collection."""
    n = jobs.running_in_matter(settings, name)
    if n:
        raise MatterError(f"matter '{name}' has {n} ingest job(s) running; it can be {what} once they finish "
                          f"(see `longdoc jobs --matter {name} --active`)")
