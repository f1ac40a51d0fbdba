"""`OnnxEmbedder`: the exported model on onnxruntime, tokenised by the tokenizers package.

Neither imports torch: the process holds about 150 MB for the model instead of 500.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, final

import numpy as np
import onnxruntime  # type: ignore[import-untyped]
from tokenizers import Tokenizer

from pajamas.embedding.embedder import DIMENSION, MAX_TOKENS, MODEL_NAME
from pajamas.embedding.export import META_FILE, ONNX_FILE

if TYPE_CHECKING:
    from pajamas.embedding.embedder import Vectors


@final
class OnnxEmbedder:
    """all-MiniLM-L6-v2 from an export folder; thread-safe (onnxruntime sessions are)."""

    def __init__(self, folder: Path, *, threads: int = 0) -> None:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        self._model_id = f"{MODEL_NAME}@{meta['format']}"
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106  (a token)
        self._counter = Tokenizer.from_file(str(folder / "tokenizer.json"))
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
        """One unit-length float32 row per text."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
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
    return options
