"""`OnnxEmbedder`: the exported model on onnxruntime, tokenised by the tokenizers package.

Neither imports torch: the process holds about 150 MB for the model instead of 500.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, final

import numpy as np
import onnxruntime  # type: ignore[import-untyped]
from tokenizers import Tokenizer

from pajamas.embedding.embedder import DIMENSION, MAX_TOKENS, MODEL_NAME
from pajamas.embedding.export import META_FILE, ONNX_FILE

if TYPE_CHECKING:
    from pajamas.embedding.embedder import Vectors

CHUNK: Final = 32  # texts per onnxruntime run (of similar length, so little padding)


@final
class OnnxEmbedder:
    """all-MiniLM-L6-v2 from an export folder; thread-safe (onnxruntime sessions are)."""

    def __init__(self, folder: Path, *, threads: int = 0) -> None:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        self._model_id = f"{MODEL_NAME}@{meta['format']}"
        spec = (folder / "tokenizer.json").read_text(encoding="utf-8")
        self._encoder = Tokenizer.from_str(spec)
        self._encoder.enable_truncation(MAX_TOKENS)
        self._encoder.no_padding()  # `_run` pads each chunk to its own longest text
        self._counter = Tokenizer.from_str(spec)
        self._counter.no_truncation()
        self._counter.no_padding()
        self._session = onnxruntime.InferenceSession(str(folder / ONNX_FILE),
                                                     _options(threads),
                                                     providers=["CPUExecutionProvider"])

    @property
    def model_id(self) -> str:
        """The model and its format: "sentence-transformers/all-MiniLM-L6-v2@onnx-fp32"."""
        return self._model_id

    @property
    def dimension(self) -> int:
        """384."""
        return DIMENSION

    def embed(self, texts: list[str]) -> Vectors:
        """One unit-length float32 row per text.

        Texts run in chunks of similar length (sorted by token count), so that a short text
        is not padded to the longest one of a batch: attention costs grow with the square of
        the padded length.
        """
        vectors: Vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        encodings = self._encoder.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda n: len(encodings[n].ids))
        for start in range(0, len(order), CHUNK):
            rows = order[start:start + CHUNK]
            vectors[rows] = self._run([encodings[n].ids for n in rows])
        return vectors

    def _run(self, tokens: list[list[int]]) -> Vectors:
        """The vectors of token sequences (with [CLS] and [SEP]), padded to the longest."""
        width = max(len(row) for row in tokens)
        ids = np.zeros((len(tokens), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for n, row in enumerate(tokens):
            ids[n, :len(row)], mask[n, :len(row)] = row, 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        vectors: Vectors = self._session.run(["embedding"], feeds)[0].astype(np.float32)
        return vectors

    def count_tokens(self, text: str) -> int:
        """The model's tokens in text, without [CLS] and [SEP]."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)


def _options(threads: int) -> Any:
    options = onnxruntime.SessionOptions()
    if threads > 0:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: on 2 shared cores a spinning pool takes the CPU
    # the request loop, the writer and the next tokenisation need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # No arena: it kept its peak (a 500-text batch: +50 MB RSS for good) for inputs whose
    # shapes change every run; one text's latency was the same (p50 29.9 vs 30.1 ms).
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    return options
