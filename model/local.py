"""In-process generation with transformers from a local model directory (your own GPU).

CUDA: bf16 weights spread over the visible GPUs (device_map="auto"); without CUDA: float32 on the
CPU (slow, meant for tests and tiny models). Usage is counted with the model's own tokenizer;
the price is 0. DeepSeek-R1-Distill models think inside <think>…</think>: that part is reported
as reasoning, the rest as the answer.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from model.base import (
    FREE,
    Backend,
    ChatOptions,
    ContentDelta,
    Event,
    Finish,
    IncompleteError,
    Message,
    ModelError,
    ReasoningDelta,
    TimeoutError_,
    Usage,
    UsageEvent,
    finish_completion,
    strip_reasoning,
)

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


class ThinkSplitter:
    """Routes streamed text to reasoning or answer around <think>…</think>, across chunk borders."""

    def __init__(self, starts_in_thought: bool = False):
        self.in_thought = starts_in_thought
        self.buf = ""
        self.seen_any = False

    def feed(self, text: str) -> list[tuple[str, str]]:
        """→ [("reasoning"|"content", text), …]; holds back a possible partial tag."""
        self.buf += text
        out: list[tuple[str, str]] = []
        while self.buf:
            if not self.seen_any:
                stripped = self.buf.lstrip()
                if THINK_OPEN.startswith(stripped) and len(stripped) < len(THINK_OPEN):
                    return out  # could still become "<think>"
                if stripped.startswith(THINK_OPEN):
                    self.in_thought = True
                    self.buf = stripped[len(THINK_OPEN):]
                self.seen_any = True
                continue
            tag = THINK_CLOSE if self.in_thought else None
            if tag is None:
                out.append(("content", self.buf))
                self.buf = ""
                break
            i = self.buf.find(tag)
            if i >= 0:
                if i:
                    out.append(("reasoning", self.buf[:i]))
                self.buf = self.buf[i + len(tag):].lstrip("\n")
                self.in_thought = False
                continue
            keep = next((k for k in range(len(tag) - 1, 0, -1) if self.buf.endswith(tag[:k])), 0)
            emit = self.buf[: len(self.buf) - keep]
            if emit:
                out.append(("reasoning", emit))
            self.buf = self.buf[len(self.buf) - keep:]
            break
        return out

    def flush(self) -> list[tuple[str, str]]:
        rest, self.buf = self.buf, ""
        if not rest:
            return []
        return [("reasoning" if self.in_thought else "content", rest)]


class TransformersBackend(Backend):
    name = "transformers"

    def __init__(self, model_dir: Path, *, timeout_s: float = 120.0, max_output: int | None = None):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        model_dir = Path(model_dir)
        if not (model_dir / "config.json").is_file():
            raise ModelError(f"transformers backend: {model_dir} is not a model directory (no config.json)")
        self.timeout_s = timeout_s
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        if torch.cuda.is_available():
            try:
                self.hf = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.bfloat16, device_map="auto")
            except (ImportError, ValueError):  # device_map needs accelerate on some versions
                self.hf = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.bfloat16).to("cuda")
            self.device = "cuda"
        else:
            self.hf = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
            self.device = "cpu"
        self.hf.eval()
        cfg = self.hf.config
        window = int(getattr(cfg, "max_position_embeddings", 0) or getattr(self.tokenizer, "model_max_length", 4096))
        window = min(window, 1_000_000)
        super().__init__(str(model_dir), window, max_output or min(8192, max(16, window // 4)), FREE)

    def __repr__(self) -> str:
        return f"TransformersBackend(model={self.model!r}, device={self.device!r})"

    def _prompt_ids(self, messages: list[Message]):
        msgs = [{"role": m["role"], "content": m.get("content") or ""} for m in strip_reasoning(messages)]
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
        else:  # base models have no template: a plain transcript is the honest fallback
            text = "".join(f"{m['role']}: {m['content']}\n" for m in msgs) + "assistant:"
        ids = self.tokenizer(text, return_tensors="pt", add_special_tokens=False)
        return text, ids

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def stream(self, messages: list[Message], options: ChatOptions | None = None) -> Iterator[Event]:
        import torch
        from transformers import TextIteratorStreamer

        options = options or ChatOptions()
        started = time.monotonic()
        prompt_text, enc = self._prompt_ids(messages)
        input_ids = enc["input_ids"].to(self.hf.device)
        prompt_tokens = int(input_ids.shape[1])
        room = self.context_window - prompt_tokens
        if room <= 0:
            raise ModelError(
                f"transformers: the prompt ({prompt_tokens} tokens) does not fit the model's window "
                f"({self.context_window})", status=400,
            )
        max_new = min(options.max_tokens or self.max_output, room)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=self.timeout_s)
        kwargs = dict(
            input_ids=input_ids,
            attention_mask=enc["attention_mask"].to(self.hf.device),
            max_new_tokens=max_new,
            streamer=streamer,
            pad_token_id=self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id,
        )
        if options.temperature:
            kwargs.update(do_sample=True, temperature=float(options.temperature))
        else:
            kwargs.update(do_sample=False)
        result: dict = {}

        def run():
            try:
                with torch.inference_mode():
                    result["ids"] = self.hf.generate(**kwargs)
            except BaseException as exc:  # noqa: BLE001 - surfaced in the caller's thread below
                result["error"] = exc
                streamer.end()

        worker = threading.Thread(target=run, name="longdoc-generate", daemon=True)
        worker.start()
        splitter = ThinkSplitter(starts_in_thought=prompt_text.rstrip().endswith(THINK_OPEN))
        text: list[str] = []
        reasoning: list[str] = []

        def emit(parts):
            for kind, piece in parts:
                if kind == "reasoning":
                    reasoning.append(piece)
                    yield ReasoningDelta(piece)
                else:
                    text.append(piece)
                    yield ContentDelta(piece)

        try:
            for piece in streamer:
                yield from emit(splitter.feed(piece))
        except queue.Empty:
            partial = finish_completion(
                text="".join(text), reasoning="".join(reasoning), usage=Usage(prompt_tokens, 0, prompt_tokens, 0, 0),
                backend=self, finish_reason=None, started=started, incomplete=True,
            )
            raise IncompleteError(
                f"transformers: no new token within {self.timeout_s:.0f} s; the partial answer is kept", partial
            ) from None
        worker.join(timeout=self.timeout_s)
        yield from emit(splitter.flush())
        if "error" in result:
            err = result["error"]
            raise ModelError(f"transformers: generation failed: {type(err).__name__}: {err}")
        if "ids" not in result:
            raise TimeoutError_(f"transformers: generation did not finish within {self.timeout_s:.0f} s")
        output_tokens = int(result["ids"].shape[1]) - prompt_tokens
        reasoning_text = "".join(reasoning)
        usage = Usage(
            prompt_tokens, 0, prompt_tokens, output_tokens,
            self.count_tokens(reasoning_text) if reasoning_text else 0,
        )
        eos = self.hf.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, (list, tuple)) else [eos] if eos is not None else [])
        ended_on_eos = output_tokens > 0 and int(result["ids"][0, -1]) in eos_ids
        finish = "length" if output_tokens >= max_new and not ended_on_eos else "stop"
        yield UsageEvent(usage)
        yield Finish(finish_completion(
            text="".join(text), reasoning=reasoning_text, usage=usage, backend=self,
            finish_reason=finish, started=started,
        ))
