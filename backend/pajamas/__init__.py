"""PajamasWeb AI Hub: a desktop hub for AI personas.

The public names: the version, the protocol version, the RPC client and the error root.
Heavy modules are not imported here, so `import pajamas` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"
PROTOCOL_VERSION = 1

__all__ = ["PROTOCOL_VERSION", "__version__"]
