"""Semantic memory: one LanceDB table per persona, searched by vector, text and both.

::

    model.py      Memory (the protocol's shape), the checks of its fields, filters
    schema.py     the table's Arrow schema and its recorded model id and dimension
    table.py      MemoryTable: one persona's LanceDB table (open, read, search)
    vectors.py    VectorIndex: the table's vectors in memory, searched exactly with numpy
    writer.py     Writer: the one thread that writes a persona's table, batching adds
    fusion.py     reciprocal rank fusion, and the importance and recency weights
    store.py      MemoryStore: the tables, writers and embeddings behind the memory.* methods
    context.py    packing the best memories into a token budget
    methods.py    the memory.* RPC methods, and `install`, which wires them into the core
    commands.py   `pajamas memory add|search|stats`
"""
