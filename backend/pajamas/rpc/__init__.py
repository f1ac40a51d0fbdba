"""Transport: the wire protocol (`protocol`), discovery (`connection`), `server` and `client`."""
