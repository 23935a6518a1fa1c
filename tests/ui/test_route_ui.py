"""The UI side of routing and profiles (AppTest, real store): the library filters, sorts and pages by profile;
Ask and Search say which documents were read and why."""

from __future__ import annotations

from tests.ui.test_app import _app, _go, _home, _shown, _text

KING_Q = ("Consider the Promotion Agreement between Depomed, Inc. and King Pharmaceuticals, Inc. for Glumetza; "
          "What is the governing law for this contract?")


def test_library_filters_and_sorts_by_profile(monkeypatch, tmp_path, samples_home):
    at = _app(monkeypatch, tmp_path, _home(samples_home))
    text = _text(at)
    assert "Promotion Agreement" in text and "Depomed, Inc." in text and "2006-06-27" in text
    assert "Supreme Court of the United States opinion" in text
    at.text_input(key="lib_filter").set_value("depomed").run()
    assert not at.exception
    assert "1 of 4 documents match" in _text(at)
    assert "Tarrant" not in "\n".join(m.value for m in at.markdown)
    at.text_input(key="lib_filter").set_value("").run()
    at.selectbox(key="lib_sort").set_value("date").run()
    at.toggle(key="lib_desc").set_value(True).run()
    titles = [_shown(m.value.split("  \n")[0]) for m in at.markdown if "<small>" in m.value and "·" in m.value]
    assert titles[0] == "Strategic Alliance Agreement" and titles[-1] == "Marketing and Transportation Services Agreement"
    at.text_input(key="lib_filter").set_value("no such party anywhere").run()
    assert "No document matches these filters." in _text(at)


def test_ask_and_search_show_the_route(monkeypatch, tmp_path, samples_home):
    at = _go(_app(monkeypatch, tmp_path, _home(samples_home)), "Ask")
    at.chat_input(key="ask_input").set_value(KING_Q).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    captions = [_shown(c.value) for c in at.chat_message[1].caption]
    assert any("reading: Promotion Agreement — matched:" in c for c in captions), captions
    ans = at.session_state["chat"][-1]["answer"]
    assert ans.route.mode == "named" and {c.file[:4] for c in ans.citations} == {"KING"}
    at = _go(at, "Search")
    at.text_input(key="search_q").set_value(KING_Q).run()
    assert not at.exception
    assert any("reading: Promotion Agreement" in _shown(c.value) for c in at.caption)
    heads = [_shown(m.value) for m in at.markdown if m.value.startswith("**1. ")]
    assert heads and "KINGPHARMACEUTICALS" in heads[0]
