"""Settings area: the model backend for this session, the context budget, and what the next call costs.

Choices live in this browser session's memory only. The API key is a password field: it is never
shown again, and written to disk only when the user asks (then into `.env`, mode 0600, which the
CLI reads too).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.answer.llm import save_key
from app.answer.model_status import explain, status
from app.answer.session import backend, is_generative, model_window
from app.config import UI_LANGS
from app.faces import present
from app.faces.ui import common, i18n
from app.faces.ui.i18n import t
from model.base import ModelError, NoModel
from model.catalog import catalog

BACKENDS = ("none", "deepseek", "openai", "anthropic", "transformers")
HELP = {
    "none": "No model: extractive answers and summaries, quoted from the documents.",
    "deepseek": "DeepSeek's API (https://api.deepseek.com): deepseek-flash (default, 1M window) or deepseek-v4-pro; "
                "thinking is a switch on the same model.",
    "openai": "Any OpenAI-compatible server: CometAPI (https://api.cometapi.com/v1), vLLM, SGLang, llama.cpp, Ollama.",
    "anthropic": "An Anthropic-style /v1/messages endpoint (e.g. https://api.deepseek.com/anthropic).",
    "transformers": "A local model directory run in-process on your GPU.",
}
MIN_BUDGET = 2_000
EFFORT_CHOICES = ("default", "low", "high", "max")


def dotenv_path() -> Path:
    """The file app.config reads at start-up (the working directory's .env)."""
    return Path.cwd() / ".env"


@common.safe_callback("Settings")
def _apply() -> None:
    ss = st.session_state
    over = dict(ss.get("overrides", {}))
    over["backend"] = ss.set_backend
    over["model"] = (ss.get("set_model") or "").strip() or None
    over["base_url"] = (ss.get("set_base_url") or "").strip() or None
    key = ss.get("set_api_key") or ""
    if key:
        over["api_key"] = key.strip()
    over["thinking"] = bool(ss.get("set_thinking"))
    effort = ss.get("set_effort") or "default"
    over["effort"] = None if effort == "default" else effort
    ss.overrides = over
    ss.set_api_key = ""  # the field empties itself: the key is never drawn back into the page
    ss.settings_flash = t("Settings applied to this session.")
    if ss.get("set_save_key") and key:
        path = save_key(dotenv_path(), key.strip())
        ss.settings_flash += " " + t("The API key was saved to {path} (readable only by you).", path=path)
    ss.set_save_key = False


@common.safe_callback("Settings")
def _forget_key() -> None:
    over = dict(st.session_state.get("overrides", {}))
    over["api_key"] = None
    st.session_state.overrides = over
    st.session_state.settings_flash = t("The API key was removed from this session.")


@common.safe_callback("Settings")
def _budget_changed() -> None:
    over = dict(st.session_state.get("overrides", {}))
    over["budget"] = int(st.session_state.set_budget)
    st.session_state.overrides = over


@common.safe_callback("Settings")
def _check_endpoint() -> None:
    st.session_state.endpoint_status = status(common.current_settings(), list_models=True)


def _language_changed() -> None:
    """The session's UI language (the widget's own key is dropped on areas that do not draw it: kept apart)."""
    st.session_state[i18n.STATE] = st.session_state.get("set_lang") or "en"


def _draw_language() -> None:
    lang = i18n.current()
    st.selectbox(t("Language"), UI_LANGS, index=UI_LANGS.index(lang), key="set_lang",
                 format_func=lambda code: i18n.LANG_NAMES.get(code, code), on_change=_language_changed,
                 help=t("The language of this session's labels, messages and help (LONGDOC_LANG sets the default). "
                        "Text from documents is always shown as written."))


def _backend_or_reason(settings):
    """The backend, or NoModel with the one-line reason (a retired name must not hide the form that fixes it)."""
    try:
        return backend(settings), None
    except ModelError as e:
        return NoModel(reason=explain(e)), explain(e)


def _catalog_names() -> str:
    """What the model catalog says DeepSeek serves today, and which names were retired."""
    models = catalog()["models"]
    current = [e["name"] for k, e in models.items() if k.startswith("deepseek/") and not e.get("retired") and not e.get("alias_of")]
    retired = [f"{e['name']} (→ {e.get('replacement')})" for k, e in models.items() if k.startswith("deepseek/") and e.get("retired")]
    return t("DeepSeek today: {current} · retired: {retired} (model/catalog.json)", current=", ".join(current),
             retired=", ".join(retired))


def _rates(p) -> str:
    return t("input {miss} (cache hit {hit}), output {out}", miss=f"{p.input_cache_miss:g}", hit=f"{p.input_cache_hit:g}",
             out=f"{p.output:g}")


def render(settings) -> None:
    st.header(t("Settings"))
    if st.session_state.get("settings_flash"):
        st.success(st.session_state.pop("settings_flash"))
    _draw_language()
    b, problem = _backend_or_reason(settings)
    generative = is_generative(b)
    if problem:
        st.error(problem)
    elif generative:
        think = {"switch": "a request switch", "twin": "a twin model name", "template": "the server's chat template"}.get(
            getattr(b, "thinking_style", "none"), "not available")
        st.success(t("Model: **{backend} · {model}** — context window {window} tokens, output up to {output}; "
                     "thinking: {think}.", backend=b.name, model=b.model, window=f"{b.context_window:,}",
                     output=f"{b.max_output:,}", think=t(think)))
    else:
        st.info(f"{getattr(b, 'reason', None) or t('No model configured')}.", icon=":material/format_quote:")

    st.subheader(t("Model"))
    with st.form("model_form", border=True):
        cur = settings.backend if settings.backend in BACKENDS else "none"
        st.selectbox(t("Backend"), BACKENDS, index=BACKENDS.index(cur), key="set_backend",
                     help="\n\n".join(f"**{k}**: {t(v)}" for k, v in HELP.items()))
        st.text_input(t("Model"), value=settings.model or "", key="set_model",
                      placeholder=t("deepseek-flash (default), deepseek-v4-pro, deepseek-v3.2-exp (CometAPI)…"))
        st.caption(_catalog_names())
        st.text_input(t("Base URL"), value=settings.base_url or "", key="set_base_url",
                      placeholder="https://api.deepseek.com")
        has_key = bool(settings.api_key)
        st.text_input(t("API key"), type="password", key="set_api_key",
                      placeholder=t("•••••• (a key is set)") if has_key else t("paste a key"),
                      help=t("Kept in this session's memory; never shown again."))
        st.checkbox(t("Also save the key to {file} in the working directory (mode 0600), so the CLI and later "
                      "sessions use it", file=dotenv_path().name), key="set_save_key")
        st.checkbox(t("Thinking mode (reasoning shown in a collapsed box; off = sent off explicitly, "
                      "since DeepSeek V4 thinks by default and bills the reasoning)"), value=bool(settings.thinking),
                    key="set_thinking")
        cur_effort = settings.effort if settings.effort in EFFORT_CHOICES else "default"
        st.selectbox(t("Thinking effort"), EFFORT_CHOICES, index=EFFORT_CHOICES.index(cur_effort), key="set_effort",
                     help=t("low | high | max where the model takes an effort (DeepSeek V4: default high)."))
        st.form_submit_button(t("Apply"), type="primary", on_click=_apply)
    if settings.api_key:
        st.button(t("Forget the API key for this session"), on_click=_forget_key, key="forget_key")
    if generative:
        st.button(t("Check the endpoint (lists the served models)"), on_click=_check_endpoint, key="check_endpoint")
        es = st.session_state.get("endpoint_status")
        if es is not None and es.model == b.model:
            if es.served is not None:
                served = ", ".join(es.served) or t("none")
                (st.success if es.is_served else st.error)(
                    t("The endpoint serves: {served}.", served=served) + ("" if es.is_served else " " +
                      t("**{model}** is not among them: choose one of these as the model.", model=b.model)))
            elif es.served_error:
                st.warning(t("Could not list the served models: {error}", error=es.served_error))

    st.subheader(t("Context budget"))

    window = int(model_window(b) or 0) or 1_048_576
    top = max(MIN_BUDGET + 1_000, window - settings.reserve_output - settings.reserve_prompt)
    value = settings.budget or top
    value = min(max(value, MIN_BUDGET), top)
    st.slider(t("Tokens of document text per question"), MIN_BUDGET, top, value, step=1_000, key="set_budget",
              on_change=_budget_changed,
              help=t("Up to the model's window ({window}) minus room for the answer and the prompt.", window=f"{window:,}"))
    budget = int(st.session_state.get("set_budget", value))

    st.subheader(t("Cost of the next call"))
    if generative:
        prompt = budget + settings.reserve_prompt
        answer = min(settings.reserve_output, b.max_output)
        sched = getattr(b, "schedule", None)
        cost = b.estimate_cost(prompt, answer)
        cached = b.estimate_cost(prompt, answer, cached_tokens=budget)
        window_now = sched.window() if sched is not None else None
        rate = " " + t("({window} rate)", window=t(window_now)) if window_now in ("peak", "off-peak") else ""
        st.markdown(
            t("A question that fills the budget sends about **{prompt}** prompt tokens; with a **{answer}**-token "
              "answer it costs **{cost}**{rate}, or **{cached}** when the documents' prefix is cached (same documents "
              "as the last call).", prompt=f"{prompt:,}", answer=f"{answer:,}", cost=present.money(cost), rate=rate,
              cached=present.money(cached))
        )
        other = sched.other() if sched is not None else None
        if other is not None:
            o_cost = b.estimate_cost(prompt, answer, prices=other[1])
            o_cached = b.estimate_cost(prompt, answer, cached_tokens=budget, prices=other[1])
            st.markdown(t("At the {window} rate: **{cost}**, or **{cached}** cached.", window=t(other[0]),
                          cost=present.money(o_cost), cached=present.money(o_cached)) + f" {sched.hours.label}")
        prices = getattr(b, "prices", None)
        if prices:
            st.caption(t("Prices now per 1M tokens: {rates}", rates=_rates(prices))
                       + ("; " + t("at the {window} rate: {rates}", window=t(other[0]), rates=_rates(other[1])) + "."
                          if other else "."))
        elif prices is None:
            st.caption(t("The price of this model is unknown (costs show as 'price unknown'): add it with "
                         "LONGDOC_CATALOG_FILE."))
        st.caption(t("The Ask area shows the exact estimate for the next question before you send it."))
    else:
        st.markdown(t("Extractive answers cost nothing: no model is called."))

    st.subheader(t("Data"))
    st.caption(t("Library: `{data}` (matter {matter}) · embedder: `{embedder}` · uploads: `{uploads}` (up to {mb} MB "
                 "per file)", data=settings.data_dir, matter=settings.matter, embedder=settings.embedder,
                 uploads=settings.uploads_dir, mb=settings.max_file_mb))
