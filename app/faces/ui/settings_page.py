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
from app.faces import present
from app.faces.ui import common
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
    ss.settings_flash = "Settings applied to this session."
    if ss.get("set_save_key") and key:
        path = save_key(dotenv_path(), key.strip())
        ss.settings_flash += f" The API key was saved to {path} (readable only by you)."
    ss.set_save_key = False


@common.safe_callback("Settings")
def _forget_key() -> None:
    over = dict(st.session_state.get("overrides", {}))
    over["api_key"] = None
    st.session_state.overrides = over
    st.session_state.settings_flash = "The API key was removed from this session."


@common.safe_callback("Settings")
def _budget_changed() -> None:
    over = dict(st.session_state.get("overrides", {}))
    over["budget"] = int(st.session_state.set_budget)
    st.session_state.overrides = over


@common.safe_callback("Settings")
def _check_endpoint() -> None:
    st.session_state.endpoint_status = status(common.current_settings(), list_models=True)


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
    return f"DeepSeek today: {', '.join(current)} · retired: {', '.join(retired)} (model/catalog.json)"


def _rates(p) -> str:
    return f"input {p.input_cache_miss:g} (cache hit {p.input_cache_hit:g}), output {p.output:g}"


def render(settings) -> None:
    st.header("Settings")
    if st.session_state.get("settings_flash"):
        st.success(st.session_state.pop("settings_flash"))
    b, problem = _backend_or_reason(settings)
    generative = is_generative(b)
    if problem:
        st.error(problem)
    elif generative:
        think = {"switch": "a request switch", "twin": "a twin model name", "template": "the server's chat template"}.get(
            getattr(b, "thinking_style", "none"), "not available")
        st.success(f"Model: **{b.name} · {b.model}** — context window {b.context_window:,} tokens, "
                   f"output up to {b.max_output:,}; thinking: {think}.")
    else:
        st.info(f"{getattr(b, 'reason', 'No model configured')}.", icon=":material/format_quote:")

    st.subheader("Model")
    with st.form("model_form", border=True):
        cur = settings.backend if settings.backend in BACKENDS else "none"
        st.selectbox("Backend", BACKENDS, index=BACKENDS.index(cur), key="set_backend",
                     help="\n\n".join(f"**{k}**: {v}" for k, v in HELP.items()))
        st.text_input("Model", value=settings.model or "", key="set_model",
                      placeholder="deepseek-flash (default), deepseek-v4-pro, deepseek-v3.2-exp (CometAPI)…")
        st.caption(_catalog_names())
        st.text_input("Base URL", value=settings.base_url or "", key="set_base_url",
                      placeholder="https://api.deepseek.com")
        has_key = bool(settings.api_key)
        st.text_input("API key", type="password", key="set_api_key",
                      placeholder="•••••• (a key is set)" if has_key else "paste a key",
                      help="Kept in this session's memory; never shown again.")
        st.checkbox(f"Also save the key to {dotenv_path().name} in the working directory (mode 0600), "
                    "so the CLI and later sessions use it", key="set_save_key")
        st.checkbox("Thinking mode (reasoning shown in a collapsed box; off = sent off explicitly, "
                    "since DeepSeek V4 thinks by default and bills the reasoning)", value=bool(settings.thinking),
                    key="set_thinking")
        cur_effort = settings.effort if settings.effort in EFFORT_CHOICES else "default"
        st.selectbox("Thinking effort", EFFORT_CHOICES, index=EFFORT_CHOICES.index(cur_effort), key="set_effort",
                     help="low | high | max where the model takes an effort (DeepSeek V4: default high).")
        st.form_submit_button("Apply", type="primary", on_click=_apply)
    if settings.api_key:
        st.button("Forget the API key for this session", on_click=_forget_key, key="forget_key")
    if generative:
        st.button("Check the endpoint (lists the served models)", on_click=_check_endpoint, key="check_endpoint")
        es = st.session_state.get("endpoint_status")
        if es is not None and es.model == b.model:
            if es.served is not None:
                served = ", ".join(es.served) or "none"
                (st.success if es.is_served else st.error)(
                    f"The endpoint serves: {served}." + ("" if es.is_served else
                                                        f" **{b.model}** is not among them: choose one of these as the model."))
            elif es.served_error:
                st.warning(f"Could not list the served models: {es.served_error}")

    st.subheader("Context budget")

    window = int(model_window(b) or 0) or 1_048_576
    top = max(MIN_BUDGET + 1_000, window - settings.reserve_output - settings.reserve_prompt)
    value = settings.budget or top
    value = min(max(value, MIN_BUDGET), top)
    st.slider("Tokens of document text per question", MIN_BUDGET, top, value, step=1_000, key="set_budget",
              on_change=_budget_changed,
              help=f"Up to the model's window ({window:,}) minus room for the answer and the prompt.")
    budget = int(st.session_state.get("set_budget", value))

    st.subheader("Cost of the next call")
    if generative:
        prompt = budget + settings.reserve_prompt
        answer = min(settings.reserve_output, b.max_output)
        sched = getattr(b, "schedule", None)
        cost = b.estimate_cost(prompt, answer)
        cached = b.estimate_cost(prompt, answer, cached_tokens=budget)
        window_now = sched.window() if sched is not None else None
        rate = f" ({window_now} rate)" if window_now in ("peak", "off-peak") else ""
        st.markdown(
            f"A question that fills the budget sends about **{prompt:,}** prompt tokens; with a "
            f"**{answer:,}**-token answer it costs **{present.money(cost)}**{rate}, "
            f"or **{present.money(cached)}** when the documents' prefix is cached (same documents as the last call)."
        )
        other = sched.other() if sched is not None else None
        if other is not None:
            o_cost = b.estimate_cost(prompt, answer, prices=other[1])
            o_cached = b.estimate_cost(prompt, answer, cached_tokens=budget, prices=other[1])
            st.markdown(f"At the {other[0]} rate: **{present.money(o_cost)}**, or **{present.money(o_cached)}** cached. "
                        f"{sched.hours.label}")
        prices = getattr(b, "prices", None)
        if prices:
            st.caption(f"Prices now per 1M tokens: {_rates(prices)}"
                       + (f"; at the {other[0]} rate: {_rates(other[1])}." if other else "."))
        elif prices is None:
            st.caption("The price of this model is unknown (costs show as 'price unknown'): add it with LONGDOC_CATALOG_FILE.")
        st.caption("The Ask area shows the exact estimate for the next question before you send it.")
    else:
        st.markdown("Extractive answers cost nothing: no model is called.")

    st.subheader("Data")
    st.caption(f"Library: `{settings.data_dir}` (matter {settings.matter}) · embedder: `{settings.embedder}` · uploads: `{settings.uploads_dir}` "
               f"(up to {settings.max_file_mb} MB per file)")
