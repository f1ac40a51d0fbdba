"""Personas: who the hub speaks as, stored in the metadata database, exchanged as cards.

::

    model.py      Persona (the protocol's shape) and the checks of its fields
    service.py    PersonaService: create, get, find, update, delete, list; delete hooks
    cards.py      Character Card V2 (and V1, V3) to and from a persona
    png.py        PNG cards: the card in a tEXt chunk (read `ccv3` then `chara`; write both)
    methods.py    the persona.* RPC methods, and `install`, which wires them into the core
    commands.py   `pajamas persona list|import|export`
"""
