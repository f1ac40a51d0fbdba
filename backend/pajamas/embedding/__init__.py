"""Embeddings: all-MiniLM-L6-v2, offline, on onnxruntime (torch only exports the model once).

::

    embedder.py   Embedder: the protocol the memory store embeds through (and counts tokens)
    export.py     the one-time ONNX export of the shipped weights, kept under the home
    runtime.py    OnnxEmbedder: tokenizers + onnxruntime, no torch import
    cache.py      EmbeddingCache: the tiered cache's `embeddings` namespace, or a bounded LRU
    batcher.py    Batcher: gathers concurrent embed calls into one batch on one thread
    lazy.py       LazyEmbedder: loads the model on first use, off the request loop, as a task
"""
