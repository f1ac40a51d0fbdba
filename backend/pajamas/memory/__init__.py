"""Semantic memory: one LanceDB table per persona, searched by vector, text and both.

::

    model.py      Memory (the protocol's shape), the checks of its fields, filters
    schema.py     the table's Arrow schema and its recorded model id and dimension
    table.py      MemoryTable: one persona's LanceDB table (open, read, search)
    vectors.py    VectorIndex: the table's vectors in memory (compact), best ones re-scored exactly
    compact.py    int8 codes with a scale per vector, scored a cache-sized block at a time
    resident.py   Residency: the open personas' vectors within memory_resident_mb (LRU release)
    placement.py  Placement: where a released index's rows sat, so a reload keeps its lists
    writer.py     Writer: the one thread that writes a persona's table, batching adds
    rowcache.py   RowCache: recently added or read rows, so a result page reads no table
    upkeep.py     Upkeep: background compaction (memory.compact tasks) once writes pile up
    fusion.py     reciprocal rank fusion, and the importance and recency weights
    store.py      MemoryStore: the tables, writers and embeddings behind the memory.* methods
    context.py    packing the best memories into a token budget
    superseded.py which memories are superseded, and since when (search leaves them out)
    consolidate.py  merging near-duplicates, superseding contradictions (memory.consolidate)
    transfer.py   export and import as JSONL or Parquet
    backup.py     a persona's backup archive, and restoring it
    repair.py, edits.py   rebuilding a damaged table from its backup and every write since
    reembed.py    re-embedding with a new model, swapped in at once
    journal.py, early.py, replay.py, pending.py   the journal that makes an add durable
                  before the table commits it, and adds that come while the store opens
    deps.py       MemoryDeps: what the service and the maintenance jobs use of the core
    service.py    MemoryService: the store and the embedder, opened off the request loop
    methods.py    the memory.* RPC methods, and `install`, which wires them into the core
    maintenance.py  the maintenance methods (tasks): consolidate, export, import, backup, ...
    commands.py   `pajamas memory add|search|stats|export|import|consolidate|backup|...`
"""
