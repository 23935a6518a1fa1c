"""A real HTTP server on 127.0.0.1 that speaks OpenAI chat-completions and Anthropic messages,
with faults on demand. Tests queue scenarios; each request takes the next one (default "ok").

A `persona` makes it behave like a real provider today (without one, scenarios alone decide):
- "deepseek": GET /models lists `served`; an unknown model name is HTTP 400 "Model Not Exist";
  thinking is ON unless the request sends `thinking: {type: disabled}` (OpenAI and Anthropic
  routes alike), reasoning streams as `reasoning_content` before `content` (thinking blocks on the
  Anthropic route), usage carries prompt_cache_hit/miss_tokens and
  completion_tokens_details.reasoning_tokens; `reasoning_effort` / `output_config.effort` are recorded.
- "cometapi": V3.2-Exp twin names: a model whose name ends in "-thinking" reasons, others do not.
- "vllm": thinking only through `chat_template_kwargs: {thinking: true}`, reasoning in the
  `reasoning` field; GET /v1/models reports `max_model_len`; an unknown model is HTTP 404.

Hand-written on http.server because the faults we need (a chunked stream cut without its final
chunk, a server that hangs mid-stream, SSE comments while queued) are below what mock libraries
expose.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Scenario:
    kind: str = "ok"  # ok | status | cut | hang | hang_mid | drop | keepalive | error_event
    status: int = 200
    body: dict | str | None = None
    headers: dict = field(default_factory=dict)
    content: list[str] = field(default_factory=lambda: ["Hello", ", ", "world", "."])
    reasoning: list[str] = field(default_factory=list)
    reasoning_field: str = "reasoning_content"  # DeepSeek/SGLang; vLLM uses "reasoning"
    finish_reason: str = "stop"
    usage: dict | None = None
    cut_after: int = 2  # chunks sent before a cut / hang
    delay_s: float = 0.0  # hang length


DEFAULT_USAGE = {
    "prompt_tokens": 1000,
    "completion_tokens": 20,
    "total_tokens": 1020,
    "prompt_cache_hit_tokens": 600,
    "prompt_cache_miss_tokens": 400,
}


PERSONA_MODELS = {
    "deepseek": ["deepseek-flash", "deepseek-v4-pro", "deepseek-v4-flash"],
    "cometapi": ["deepseek-v4-flash", "deepseek-v4-pro", "deepseek-v3.2-exp", "DeepSeek-V3.2-Exp-thinking",
                 "DeepSeek-V3.2-Exp-nothinking"],
    "vllm": ["deepseek-ai/DeepSeek-V3.2-Exp"],
}
DEFAULT_REASONING = ["The question asks about", " the governing-law clause."]


class FakeLLMServer:
    def __init__(self, persona: str | None = None, served: list[str] | None = None, max_model_len: int = 163840):
        self.queue: deque[Scenario] = deque()
        self.requests: list[dict] = []  # {"path", "headers", "json"} of every POST
        self.gets: list[dict] = []  # {"path", "headers"} of every GET (the model lists)
        self.persona = persona
        self.served = list(served) if served is not None else list(PERSONA_MODELS.get(persona or "", ["fake-model"]))
        self.max_model_len = max_model_len
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                server.gets.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}})
                if not self.path.rstrip("/").endswith("/models"):
                    self._plain(404, b'{"error": {"message": "not found"}}', {"Content-Type": "application/json"})
                    return
                rows = []
                for mid in server.served:
                    row = {"id": mid, "object": "model", "owned_by": server.persona or "fake"}
                    if server.persona == "vllm":
                        row["max_model_len"] = server.max_model_len
                    rows.append(row)
                data = json.dumps({"object": "list", "data": rows}).encode()
                self._plain(200, data, {"Content-Type": "application/json"})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(raw or b"{}")
                except ValueError:
                    payload = {}
                server.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "json": payload})
                sc = server.queue.popleft() if server.queue else Scenario()
                try:
                    sc = server._as_persona(sc, payload, anthropic=self.path.endswith("/messages"))
                    if self.path.endswith("/messages"):
                        server._anthropic(self, sc, payload)
                    else:
                        server._openai(self, sc, payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            # helpers used by the scenario writers
            def _plain(self, status, data: bytes, headers: dict):
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
                self.close_connection = True

            def _start_sse(self, headers: dict):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.close_connection = True

            def _chunk(self, text: str):
                data = text.encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def _end(self):
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

            def _cut(self):
                """Close the socket mid-body: no terminating chunk (a broken stream)."""
                self.wfile.flush()
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.connection.close()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeLLMServer:
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def push(self, *scenarios: Scenario):
        self.queue.extend(scenarios)

    # ---- provider personas -----------------------------------------------------------------

    def thinking_requested(self, req: dict, anthropic: bool = False) -> bool:
        """What the persona's model does for this request (DeepSeek V4: on unless switched off)."""
        if self.persona == "deepseek":
            t = req.get("thinking")
            return not (isinstance(t, dict) and t.get("type") == "disabled")
        if self.persona == "cometapi":
            return str(req.get("model", "")).endswith("-thinking") or (anthropic and bool(req.get("thinking")))
        if self.persona == "vllm":
            return bool((req.get("chat_template_kwargs") or {}).get("thinking"))
        return False

    def _as_persona(self, sc: Scenario, req: dict, anthropic: bool) -> Scenario:
        if self.persona is None or sc.kind != "ok":
            return sc
        model = str(req.get("model", ""))
        if model not in self.served:
            if self.persona == "vllm":
                body = {"object": "error", "message": f"The model `{model}` does not exist.", "type": "NotFoundError",
                        "param": None, "code": 404}
                return Scenario(kind="status", status=404, body=body)
            body = {"error": {"message": "Model Not Exist", "type": "invalid_request_error", "param": None,
                              "code": "invalid_request_error"}}
            return Scenario(kind="status", status=400, body=body)
        on = self.thinking_requested(req, anthropic)
        reasoning = (sc.reasoning or DEFAULT_REASONING) if on else []
        usage = sc.usage
        if usage is None and not anthropic:
            out = 20 + (12 if on else 0)
            usage = dict(DEFAULT_USAGE, completion_tokens=out, total_tokens=1000 + out)
            usage["completion_tokens_details"] = {"reasoning_tokens": 12 if on else 0}
        field_name = "reasoning" if self.persona == "vllm" else "reasoning_content"
        return replace(sc, reasoning=list(reasoning), usage=usage, reasoning_field=field_name)

    # ---- OpenAI chat completions ------------------------------------------------------------

    def _common_faults(self, h, sc: Scenario) -> bool:
        if sc.kind == "status":
            body = sc.body if sc.body is not None else {"error": {"message": f"status {sc.status}", "type": "error"}}
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            h._plain(sc.status, data, {"Content-Type": "application/json", **sc.headers})
            return True
        if sc.kind == "drop":  # accept, read, then close without a response
            h._cut()
            return True
        if sc.kind == "hang":  # never answers within the client's timeout
            time.sleep(sc.delay_s)
            h._cut()
            return True
        return False

    def _openai(self, h, sc: Scenario, req: dict):
        if self._common_faults(h, sc):
            return
        model = req.get("model", "fake-model")
        usage = sc.usage if sc.usage is not None else DEFAULT_USAGE
        if not req.get("stream"):
            message = {"role": "assistant", "content": "".join(sc.content)}
            if sc.reasoning:
                message[sc.reasoning_field] = "".join(sc.reasoning)
            body = {
                "id": "cmpl-1", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": sc.finish_reason}],
                "usage": usage,
            }
            h._plain(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
            return

        def chunk(delta: dict, finish=None, with_usage=None) -> str:
            c = {
                "id": "cmpl-1", "object": "chat.completion.chunk", "created": 0, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            if with_usage is not None:
                c["choices"] = []
                c["usage"] = with_usage
            return "data: " + json.dumps(c) + "\n\n"

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({sc.reasoning_field: r, "content": None}) for r in sc.reasoning]
        events += [chunk({"content": c}) for c in sc.content]
        events.append(chunk({}, finish=sc.finish_reason if sc.finish_reason else None))
        if (req.get("stream_options") or {}).get("include_usage") and usage:
            events.append(chunk({}, with_usage=usage))
        events.append("data: [DONE]\n\n")
        h._start_sse(sc.headers)
        if sc.kind == "keepalive":  # what DeepSeek sends while a request waits in its queue
            for _ in range(3):
                h._chunk(": keep-alive\n\n")
                h._chunk("\n")
                time.sleep(0.05)
        for i, ev in enumerate(events):
            if sc.kind in ("cut", "hang_mid", "error_event") and i == sc.cut_after:
                if sc.kind == "cut":
                    h._cut()
                    return
                if sc.kind == "error_event":
                    h._chunk("data: " + json.dumps({"error": {"message": "upstream overloaded"}}) + "\n\n")
                    h._end()
                    return
                time.sleep(sc.delay_s)
                h._cut()
                return
            if sc.kind == "keepalive" and i % 2:
                h._chunk(": keep-alive\n\n")
            h._chunk(ev)
        h._end()

    # ---- Anthropic messages -----------------------------------------------------------------

    def _anthropic(self, h, sc: Scenario, req: dict):
        if self._common_faults(h, sc):
            return
        model = req.get("model", "fake-model")
        usage = sc.usage if sc.usage is not None else {
            "input_tokens": 400, "output_tokens": 20, "cache_read_input_tokens": 600, "cache_creation_input_tokens": 0,
        }
        stop = {"stop": "end_turn", "length": "max_tokens"}.get(sc.finish_reason, sc.finish_reason)
        if not req.get("stream"):
            content = []
            if sc.reasoning:
                content.append({"type": "thinking", "thinking": "".join(sc.reasoning), "signature": "sig"})
            content.append({"type": "text", "text": "".join(sc.content)})
            body = {
                "id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": content,
                "stop_reason": stop, "stop_sequence": None, "usage": usage,
            }
            h._plain(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
            return

        def ev(name: str, data: dict) -> str:
            return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n"

        start_usage = {k: v for k, v in usage.items() if k != "output_tokens"} | {"output_tokens": 1}
        events = [ev("message_start", {"message": {
            "id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": start_usage}})]
        idx = 0
        if sc.reasoning:
            events.append(ev("content_block_start", {"index": idx, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}))
            events += [ev("content_block_delta", {"index": idx, "delta": {"type": "thinking_delta", "thinking": r}}) for r in sc.reasoning]
            events.append(ev("content_block_delta", {"index": idx, "delta": {"type": "signature_delta", "signature": "sig"}}))
            events.append(ev("content_block_stop", {"index": idx}))
            idx += 1
        events.append(ev("content_block_start", {"index": idx, "content_block": {"type": "text", "text": ""}}))
        events.append(ev("ping", {}))
        events += [ev("content_block_delta", {"index": idx, "delta": {"type": "text_delta", "text": c}}) for c in sc.content]
        events.append(ev("content_block_stop", {"index": idx}))
        events.append(ev("message_delta", {"delta": {"stop_reason": stop, "stop_sequence": None},
                                           "usage": {"output_tokens": usage.get("output_tokens", 0)}}))
        events.append(ev("message_stop", {}))
        h._start_sse(sc.headers)
        for i, e in enumerate(events):
            if sc.kind == "cut" and i == sc.cut_after:
                h._cut()
                return
            if sc.kind == "hang_mid" and i == sc.cut_after:
                time.sleep(sc.delay_s)
                h._cut()
                return
            h._chunk(e)
        h._end()
