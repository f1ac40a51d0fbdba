"""What the memory store embeds through: a model id, a dimension, embed and count_tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vectors = npt.NDArray[np.float32]

MODEL_NAME: Final = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION: Final = 384
MAX_TOKENS: Final = 256  # the model's max_seq_length (sentence_bert_config.json)


class Embedder(Protocol):
    """Turns texts into unit-length vectors; `model_id` names the vector space."""

    @property
    def model_id(self) -> str:
        """The model and its numeric format ("…/all-MiniLM-L6-v2@onnx-int8")."""
        ...

    @property
    def dimension(self) -> int:
        """The length of every vector."""
        ...

    def embed(self, texts: list[str]) -> Vectors:
        """One L2-normalised float32 row per text, in order."""
        ...

    def count_tokens(self, text: str) -> int:
        """The number of the model's tokens in text (without special tokens)."""
        ...
