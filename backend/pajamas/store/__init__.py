"""The metadata database: one SQLite file under the home (personas; later plugins, settings).

::

    metadata.py    MetadataStore: the connection, transactions, and the schema's migrations
"""
