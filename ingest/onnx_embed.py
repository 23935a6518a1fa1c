"""A sentence-transformers model as int8 ONNX: the embedding backend for ingest on plain CPUs.

Embedding is what bounds ingest speed (the parsers are idle most of the time). On 2 AVX2 cores
(no VNNI) all-MiniLM-L6-v2 embeds ~12 full-window chunks/s with torch fp32 at batch 128, ~15 at batch
8, and ~30 as int8 ONNX (one text per run, a run per core), while its vectors stay within cosine 0.985 of the fp32 ones
(`reduce_range` + per-channel weights: plain int8 on AVX2 saturates and drops that to ~0.90).
Built once from the model folder (torch.onnx export, onnxruntime dynamic quantisation, ~10 s),
cached by the weights' digest; after that, neither torch nor the model's Python code is loaded.

sentence-transformers' own `backend="onnx"` needs `optimum`, which pins transformers versions; the
export here is the 20 lines it would do for us.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = ("model.safetensors", "pytorch_model.bin")
FORMAT = "1"  # bump when the export or quantisation settings change


class OnnxUnavailable(RuntimeError):
    """The model cannot be turned into int8 ONNX here (missing package, unsupported architecture)."""


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "longdoc" / "onnx"


def _digest(model_dir: Path) -> str:
    stamp = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns)
                  for f in (model_dir / n for n in WEIGHTS + ("config.json",)) if f.is_file())
    return _digest_of(str(model_dir), stamp)


@functools.lru_cache(maxsize=16)
def _digest_of(model_dir: str, stamp: tuple) -> str:
    """sha256 of the weights and config (~0.3 s for MiniLM's 90 MB): once per process and file version."""
    h = hashlib.sha256(FORMAT.encode())
    for name, _, _ in stamp:
        with open(Path(model_dir) / name, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


_SUPPORTED = ("Transformer", "Pooling", "Normalize")


def _pooling(model_dir: Path) -> str:
    """'mean' or 'cls', from the model's sentence-transformers config; OnnxUnavailable for a pipeline the
    int8 path would not reproduce (a Dense layer, max or weighted pooling): those stay on torch."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
    except (OSError, ValueError):
        modules = []
    extra = [m.get("type", "?") for m in modules if str(m.get("type", "")).rsplit(".", 1)[-1] not in _SUPPORTED]
    if extra:
        raise OnnxUnavailable(f"{model_dir.name} has modules the int8 path does not reproduce: {', '.join(extra)}")
    for cfg in sorted(model_dir.glob("*Pooling*/config.json")):
        try:
            c = json.loads(cfg.read_text())
        except (OSError, ValueError):
            continue
        modes = [k for k, v in c.items() if k.startswith("pooling_mode") and v]
        if modes in (["pooling_mode_mean_tokens"], []):
            return "mean"
        if modes == ["pooling_mode_cls_token"]:
            return "cls"
        raise OnnxUnavailable(f"{model_dir.name}: pooling {', '.join(modes)} is not reproduced by the int8 path")
    return "mean"


def _export(model_dir: Path, out: Path) -> None:
    """fp32 ONNX of the transformer (last hidden state), then int8 weights; written atomically."""
    try:
        import onnx  # noqa: F401 - the quantiser needs it
        import torch
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from transformers import AutoModel, AutoTokenizer
    except ImportError as exc:
        raise OnnxUnavailable(f"int8 ONNX export needs {exc.name}") from exc
    import inspect
    import tempfile

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    names = ["input_ids", "attention_mask"]
    if "token_type_ids" in inspect.signature(model.forward).parameters:
        names.append("token_type_ids")
    sample = tok(["a short sentence", "and a somewhat longer second sentence"], padding=True, return_tensors="pt")

    class _Hidden(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, *args):
            return self.m(**dict(zip(names, args))).last_hidden_state

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        fp32 = Path(tmp) / "model.onnx"
        int8 = Path(tmp) / "model-int8.onnx"
        axes = {n: {0: "batch", 1: "seq"} for n in names}
        axes["hidden"] = {0: "batch", 1: "seq"}
        with torch.no_grad():
            torch.onnx.export(_Hidden(model), tuple(sample[n] for n in names), str(fp32), input_names=names,
                              output_names=["hidden"], dynamic_axes=axes, opset_version=17, dynamo=False)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
        os.replace(int8, out)


_BUILD = threading.Lock()


@contextlib.contextmanager
def _quiet():
    """The exporter's tracer warnings, transformers' loading bar and the quantiser's advice (it also
    installs a root log handler, which would print other libraries' debug lines) are not for our users."""
    import logging
    import warnings

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)
    try:
        from transformers.utils import logging as hf_logging

        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        hf_logging, bar = None, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)
        for h in root.handlers[:]:
            if h not in handlers:
                root.removeHandler(h)
        if hf_logging is not None and bar:
            hf_logging.enable_progress_bar()


def is_built(model_dir: str | Path) -> bool:
    """Whether the int8 file for `model_dir` is already cached (else the first encode builds it, ~10 s)."""
    model_dir = Path(model_dir)
    return (cache_root() / _digest(model_dir) / "model-int8.onnx").is_file() if model_dir.is_dir() else True


def int8_model(model_dir: str | Path) -> tuple[Path, str]:
    """Path of the cached int8 ONNX file for `model_dir` (built on first use) and its pooling mode."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir() or not any((model_dir / w).is_file() for w in WEIGHTS):
        raise OnnxUnavailable(f"{model_dir} is not a local model folder with weights")
    pooling = _pooling(model_dir)
    out = cache_root() / _digest(model_dir) / "model-int8.onnx"
    with _BUILD:
        if not out.is_file():
            try:
                with _quiet():
                    _export(model_dir, out)
            except OnnxUnavailable:
                raise
            except Exception as exc:  # an architecture the exporter cannot trace
                raise OnnxUnavailable(f"cannot export {model_dir.name} to ONNX: {type(exc).__name__}: {exc}") from exc
    return out, pooling


class OnnxEncoder:
    """Encodes like SentenceTransformer.encode(normalize_embeddings=True), from the int8 ONNX file."""

    def __init__(self, model_dir: str | Path, tokenizer: Any, window: int, threads: int | None = None):
        import onnxruntime as ort

        path, self.pooling = int8_model(model_dir)
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1  # parallel across texts instead (below): 31.7 vs 27.2 chunks/s on 2 cores
        so.inter_op_num_threads = 1
        self.threads = max(1, int(threads or os.cpu_count() or 1))
        self._pool = None
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.path = path
        self._tok = tokenizer  # a `tokenizers.Tokenizer` without padding (one text per run), cut at the window
        self._tok.enable_truncation(window)
        self._pool_lock = threading.Lock()

    def _one(self, ids: list[int]) -> np.ndarray:
        arr = np.asarray([ids], dtype=np.int64)
        feed = {"input_ids": arr, "attention_mask": np.ones_like(arr), "token_type_ids": np.zeros_like(arr)}
        hidden = self.session.run(None, {n: feed[n] for n in self.inputs})[0][0]
        vec = hidden[0] if self.pooling == "cls" else hidden.mean(axis=0)
        return (vec / max(float(np.linalg.norm(vec)), 1e-12)).astype(np.float32)

    def encode(self, texts: list[str], batch_size: int = 1) -> np.ndarray:
        """One text per run, whatever `batch_size` says; several runs at once, one per core.

        Dynamic int8 quantisation scales activations per run, so in a batch a text's vector would
        depend on its neighbours (and on their padding); alone it is a function of the text. Measured
        on 2 cores, full 254-piece chunks: one run at a time on 2 threads 27 chunks/s, batch 8 lower,
        two single-threaded runs side by side 32 (onnxruntime releases the GIL; a session may be run
        from several threads).
        """
        encs = self._tok.encode_batch(list(texts))
        if not encs:
            return np.zeros((0, 0), dtype=np.float32)
        if len(encs) == 1 or self.threads == 1:
            vecs = [self._one(e.ids) for e in encs]
        else:
            with self._pool_lock:
                if self._pool is None:
                    from concurrent.futures import ThreadPoolExecutor

                    self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="longdoc-embed")
            vecs = list(self._pool.map(lambda e: self._one(e.ids), encs))
        return np.stack(vecs)
