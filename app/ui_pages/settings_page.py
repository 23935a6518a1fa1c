"""Settings area: the model backend for this session, the context budget, and what the next call costs.

Choices live in this browser session's memory only. The API key is a password field: it is never
shown again, and written to disk only when the user asks (then into `.env`, mode 0600, which the
CLI reads too).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.ui_pages import common

BACKENDS = ("none", "deepseek", "openai", "anthropic", "transformers")
HELP = {
    "none": "No model: extractive answers and summaries, quoted from the documents.",
    "deepseek": "DeepSeek's API (https://api.deepseek.com): deepseek-chat, or deepseek-reasoner for thinking.",
    "openai": "Any OpenAI-compatible server: CometAPI (https://api.cometapi.com/v1), vLLM, SGLang, llama.cpp, Ollama.",
    "anthropic": "An Anthropic-style /v1/messages endpoint (e.g. https://api.deepseek.com/anthropic).",
    "transformers": "A local model directory run in-process on your GPU.",
}
MIN_BUDGET = 2_000


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
    ss.overrides = over
    ss.set_api_key = ""  # the field empties itself: the key is never drawn back into the page
    ss.settings_flash = "Settings applied to this session."
    if ss.get("set_save_key") and key:
        from app.llm import save_key

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


def render(settings) -> None:
    st.header("Settings")
    if st.session_state.get("settings_flash"):
        st.success(st.session_state.pop("settings_flash"))
    b = common.backend(settings)
    generative = common.is_generative(b)
    if generative:
        st.success(f"Model: **{b.name} · {b.model}** — context window {b.context_window:,} tokens, "
                   f"output up to {b.max_output:,}.")
    else:
        st.info(f"{getattr(b, 'reason', 'No model configured')}.", icon=":material/format_quote:")

    st.subheader("Model")
    with st.form("model_form", border=True):
        cur = settings.backend if settings.backend in BACKENDS else "none"
        st.selectbox("Backend", BACKENDS, index=BACKENDS.index(cur), key="set_backend",
                     help="\n\n".join(f"**{k}**: {v}" for k, v in HELP.items()))
        st.text_input("Model", value=settings.model or "", key="set_model",
                      placeholder="deepseek-chat, deepseek-reasoner, deepseek-v3.2-exp…")
        st.text_input("Base URL", value=settings.base_url or "", key="set_base_url",
                      placeholder="https://api.deepseek.com")
        has_key = bool(settings.api_key)
        st.text_input("API key", type="password", key="set_api_key",
                      placeholder="•••••• (a key is set)" if has_key else "paste a key",
                      help="Kept in this session's memory; never shown again.")
        st.checkbox(f"Also save the key to {dotenv_path().name} in the working directory (mode 0600), "
                    "so the CLI and later sessions use it", key="set_save_key")
        st.checkbox("Thinking mode (reasoning shown in a collapsed box)", value=bool(settings.thinking),
                    key="set_thinking")
        st.form_submit_button("Apply", type="primary", on_click=_apply)
    if settings.api_key:
        st.button("Forget the API key for this session", on_click=_forget_key, key="forget_key")

    st.subheader("Context budget")
    window = int(getattr(b, "context_window", 128_000) or 128_000)
    reserve = (b.max_output if generative and b.max_output else settings.reserve_output) + settings.reserve_prompt
    top = max(MIN_BUDGET + 1_000, window - reserve)
    value = settings.budget or top
    value = min(max(value, MIN_BUDGET), top)
    st.slider("Tokens of document text per question", MIN_BUDGET, top, value, step=1_000, key="set_budget",
              on_change=_budget_changed,
              help=f"Up to the model's window ({window:,}) minus room for the answer and the prompt.")
    budget = int(st.session_state.get("set_budget", value))

    st.subheader("Cost of the next call")
    if generative:
        cost = b.estimate_cost(budget + settings.reserve_prompt, b.max_output)
        cached = b.estimate_cost(budget + settings.reserve_prompt, b.max_output, cached_tokens=budget)
        st.markdown(
            f"A question that fills the budget sends about **{budget + settings.reserve_prompt:,}** prompt tokens "
            f"and may get up to **{b.max_output:,}** output tokens: at most **{common.money(cost)}**, "
            f"or **{common.money(cached)}** when the documents' prefix is cached (same documents as the last call)."
        )
        prices = getattr(b, "prices", None)
        if prices:
            st.caption(f"Prices per 1M tokens: input {prices.input_cache_miss} (cache hit {prices.input_cache_hit}), "
                       f"output {prices.output}.")
        st.caption("The Ask area shows the exact estimate for the next question before you send it.")
    else:
        st.markdown("Extractive answers cost nothing: no model is called.")

    st.subheader("Data")
    st.caption(f"Library: `{settings.data_dir}` (matter {settings.matter}) · embedder: `{settings.embedder}` · uploads: `{settings.uploads_dir}` "
               f"(up to {settings.max_file_mb} MB per file)")
