"""Plugins: third-party Python in a folder with a `plugin.toml` (see docs/plugins.md).

`manifest` parses and checks plugin.toml; `archive` unpacks a folder or a .zip safely;
`registry` installs, lists, verifies and enables plugins (`model.Plugin` is what it returns);
`methods` adds the plugin.* methods; `commands` is `pajamas plugin ...`.
"""
