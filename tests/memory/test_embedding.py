"""The embedder: the ONNX export matches the original model; batching, caching, lazy loading."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from pajamas.embedding.batcher import Batcher
from pajamas.embedding.cache import BoundedEmbeddingCache
from pajamas.embedding.embedder import DIMENSION
from pajamas.embedding.export import PARENT_GONE, WITH_PARENT, export_apart, is_exported
from pajamas.embedding.lazy import LazyEmbedder, Progress
from pajamas.embedding.runtime import OnnxEmbedder
from pajamas.embedding.service import MODEL_ID, EmbeddingService
from pajamas.errors import Internal
from tests.conftest import EXPORT_GUARD_S, PATIENCE_S

TEXTS = ["Caroline went to the LGBTQ support group on Sunday.",
         "Melanie painted a sunrise over the lake.",
         "What did Caroline research?"]


def test_the_onnx_export_matches_sentence_transformers(model_dir: Path) -> None:
    """The fp32 graph is the model itself; the int8 one the hub runs stays near it."""
    from sentence_transformers import SentenceTransformer

    from pajamas.embedding.export import INT8_FILE, ONNX_FILE, source_dir

    reference = SentenceTransformer(str(source_dir()), device="cpu").encode(
        TEXTS, normalize_embeddings=True)
    fp32 = _graph_vectors(model_dir / ONNX_FILE)
    assert float(np.min(np.sum(fp32 * reference, axis=1))) > 0.9999
    ours = OnnxEmbedder(model_dir).embed(TEXTS)
    assert ours.shape == (3, DIMENSION) and ours.dtype == np.float32
    assert float(np.min(np.sum(ours * reference, axis=1))) > 0.97  # measured 0.973 worst
    assert float(np.mean(np.sum(ours * reference, axis=1))) > 0.985  # measured 0.992
    assert (model_dir / INT8_FILE).stat().st_size < (model_dir / ONNX_FILE).stat().st_size / 1.4


def _graph_vectors(graph: Path) -> np.ndarray:
    """TEXTS through one ONNX graph, one at a time."""
    import onnxruntime  # type: ignore[import-untyped]
    from tokenizers import Tokenizer

    session = onnxruntime.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(graph.parent / "tokenizer.json"))
    tokenizer.no_padding()
    rows = []
    for text in TEXTS:
        ids = np.asarray([tokenizer.encode(text).ids], dtype=np.int64)
        rows.append(session.run(["embedding"], {"input_ids": ids, "attention_mask":
                                                np.ones_like(ids),
                                                "token_type_ids": np.zeros_like(ids)})[0][0])
    return np.stack(rows)


def test_a_text_gets_the_same_vector_alone_or_in_a_batch(model_dir: Path) -> None:
    model = OnnxEmbedder(model_dir, threads=2)
    together = model.embed([*TEXTS, "a much longer text " * 30])
    for n, text in enumerate(TEXTS):
        assert np.array_equal(model.embed([text])[0], together[n])


def test_vectors_are_unit_length_and_meaningful(embeddings: EmbeddingService) -> None:
    vectors = embeddings.embed(TEXTS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[2] @ vectors[0] > vectors[2] @ vectors[1]  # the question is about Caroline
    assert embeddings.model_id == MODEL_ID


def test_tokens_are_counted_with_the_model_tokenizer(embeddings: EmbeddingService) -> None:
    assert embeddings.count_tokens("hello world") == 2
    assert embeddings.count_tokens("unbelievably") > 1  # word pieces
    assert embeddings.count_tokens("word " * 400) == 400  # no truncation when counting


def test_concurrent_calls_are_gathered_into_one_batch() -> None:
    entered, release = threading.Event(), threading.Event()
    calls: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        calls.append(texts)
        entered.set()
        release.wait(PATIENCE_S)
        return np.array([[float(len(t))] for t in texts], dtype=np.float32)

    batcher = Batcher(embed)
    results: dict[str, float] = {}

    def call(text: str) -> None:
        results[text] = float(batcher.embed([text])[0][0])

    first = threading.Thread(target=call, args=("a",))
    first.start()
    assert entered.wait(PATIENCE_S)  # the first batch runs; the next three queue up behind it
    others = [threading.Thread(target=call, args=(t,)) for t in ("bb", "ccc", "dddd")]
    for thread in others:
        thread.start()
    deadline = time.monotonic() + PATIENCE_S
    while batcher.waiting < 3:
        assert time.monotonic() < deadline, "the three calls never queued up"
        time.sleep(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(PATIENCE_S)
    batcher.close()
    assert results == {"a": 1.0, "bb": 2.0, "ccc": 3.0, "dddd": 4.0}
    assert calls[0] == ["a"] and sorted(calls[1]) == ["bb", "ccc", "dddd"]


def test_an_idle_batcher_runs_a_call_on_the_callers_thread() -> None:
    threads: list[threading.Thread] = []

    def embed(texts: list[str]) -> np.ndarray:
        threads.append(threading.current_thread())
        return np.array([[float(len(t))] for t in texts], dtype=np.float32)

    batcher = Batcher(embed)
    assert batcher.embed(["abc"]).tolist() == [[3.0]]
    assert threads == [threading.current_thread()] and batcher.batches == 1
    assert batcher.waiting == 0
    batcher.close()


@pytest.mark.timeout(EXPORT_GUARD_S)
def test_a_loader_exports_in_a_child_and_never_imports_torch(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    script = ("import sys\n"
              "sys.modules['torch'] = None  # `import torch` fails here: only a child may\n"
              "from pathlib import Path\n"
              "from pajamas.embedding.service import onnx_loader\n"
              f"model = onnx_loader(Path({str(folder)!r}))(lambda share, note: None)\n"
              "print(model.embed(['hello']).shape, 'torch' in sys.modules and "
              "sys.modules['torch'] is not None)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["(1,", "384)", "False"] and is_exported(folder)


def test_an_export_apart_ends_with_its_parent(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-m", "pajamas.embedding.export",
                              str(tmp_path / "model"), WITH_PARENT], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert child.stdin is not None
    child.stdin.close()  # as the OS does when the parent ends, however it ends
    assert child.wait() == PARENT_GONE and not is_exported(tmp_path / "model")


def test_a_failed_export_says_why(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder would go")
    with pytest.raises(Internal, match=r"exporting the embedding model to .*taken.* failed "
                                       r"\(exit code 1\): NotADirectoryError: .*taken"):
        export_apart(tmp_path / "taken" / "model")


def test_a_failed_batch_raises_in_its_callers() -> None:
    def embed(texts: list[str]) -> np.ndarray:
        raise Internal("no model")

    batcher = Batcher(embed)
    with pytest.raises(Internal, match="no model"):
        batcher.embed(["x"])
    batcher.close()


def test_the_cache_embeds_only_what_it_misses() -> None:
    seen: list[str] = []

    def embed(texts: list[str]) -> np.ndarray:
        seen.extend(texts)
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    cache = BoundedEmbeddingCache(max_items=2)
    first = cache.embeddings("m", ["a", "bb"], embed)
    again = cache.embeddings("m", ["bb", "a", "ccc"], embed)
    assert seen == ["a", "bb", "ccc"]
    assert np.array_equal(again[:2], first[::-1])
    cache.embeddings("other-model", ["a"], embed)  # the model id is part of the key
    assert seen[-1] == "a"


def test_a_failed_load_is_reported_and_retried() -> None:
    attempts: list[int] = []

    def load(progress: Progress) -> OnnxEmbedder:
        attempts.append(1)
        raise RuntimeError("disk on fire")

    lazy = LazyEmbedder(MODEL_ID, DIMENSION, load)
    with pytest.raises(Internal, match="disk on fire"):
        lazy.embed(["x"])
    with pytest.raises(Internal):
        lazy.embed(["x"])
    assert len(attempts) == 2 and not lazy.ready


def test_mixed_lengths_come_back_in_order_as_if_alone(embeddings: EmbeddingService) -> None:
    model = embeddings.model.wait()
    texts = ["a cat", "the committee met on Tuesday to discuss the budget " * 6, "dog",
             "Caroline went to the LGBTQ support group yesterday", "a cat"]
    together = model.embed(texts)
    alone = np.concatenate([model.embed([text]) for text in texts])
    assert together.shape == (5, 384)
    np.testing.assert_allclose(together, alone, atol=1e-4)
    assert not np.allclose(together[0], together[2], atol=1e-2)
