"""The host side of a plugin: the code that runs in the sandboxed process.

`template` is the pre-forked process every host is forked from; `main` confines the fresh
host, imports the plugin and serves calls on the channel; `api` is the `hub` object a plugin's
functions receive.  Everything here is imported by the template before any fork, because
after Landlock the host can no longer read the hub's source.
"""
