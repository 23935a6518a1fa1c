"""The Streamlit UI (`longdoc ui`): Library, Search, Ask, Summaries, Compare, Review, Settings.

Every area only draws: it calls the same `app/` functions as the CLI. Each area runs inside a
guard, so a failure is a message in the page, never a Streamlit traceback.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

# `streamlit run app/faces/ui/main.py` puts its folder first on sys.path, where ask.py, library.py… would
# shadow same-named top-level modules; the package root is what we want instead.
_APP_DIR = str(Path(__file__).resolve().parent)
_ROOT = str(Path(__file__).resolve().parents[3])
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _APP_DIR]
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402 - after the sys.path repair above

from app.faces.ui import common, signin  # noqa: E402 - after the sys.path repair above
from app.faces.ui.i18n import t  # noqa: E402 - after the sys.path repair above
from app.library import documents as library  # noqa: E402 - after the sys.path repair above

PAGES = {
    "Library": "library",
    "Search": "search",
    "Ask": "ask",
    "Summaries": "summaries",
    "Compare": "compare",
    "Review": "review",
    "Settings": "settings_page",
}
AREAS = tuple(PAGES)


def _doc_picker(settings) -> None:
    """Sidebar document selection, shared by Search, Ask, Summaries and Compare."""
    docs = library.list_documents(settings)
    by_id = {d.doc_id: d for d in docs}
    chosen = [d for d in (st.session_state.get("selected_docs") or []) if d in by_id]
    if chosen != (st.session_state.get("selected_docs") or []):
        st.session_state.selected_docs = chosen
    st.multiselect(
        t("Documents (none = all)"),
        options=list(by_id),
        format_func=lambda i: by_id[i].file,
        key="selected_docs",
        help=t("The documents Search, Ask, Summaries and Compare work on."),
    )
    st.caption(t("{n} document(s) in matter {matter} · data in `{data}`", n=len(docs), matter=settings.matter,
                 data=settings.data_dir))


def main() -> None:
    st.set_page_config(page_title="longdoc", page_icon=":material/menu_book:", layout="wide")

    who = signin.gate(common.base_settings())  # stops here with a sign-in form until someone signs in
    st.sidebar.title("longdoc")
    if signin.matter_picker(common.base_settings(), who) is None:
        st.stop()
    area = st.sidebar.radio(t("Area"), AREAS, key="area", label_visibility="collapsed", format_func=t)
    picker = st.sidebar.container()
    settings = common.current_settings()

    common.show_callback_errors()
    with common.area_box(area), common.guard(area):
        # imported here so that one area's failure (or heavy import) cannot take the others down
        module = importlib.import_module(f"app.faces.ui.{PAGES[area]}")
        module.render(settings)
    # drawn last so that documents ingested or deleted in this run are already listed
    with picker:
        with common.guard("Documents"):
            _doc_picker(settings)
    # after the page is drawn: load the embedder, store and tokenizer once per process, so the
    # first question is answered without waiting for them
    with common.guard("Loading"):
        common.warm_up(settings)


# Streamlit runs this file as __main__; worker processes that ingest spawns re-import it as
# __mp_main__ and must not draw (or load the embedder) again.
if __name__ == "__main__":
    main()
