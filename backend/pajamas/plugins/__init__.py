"""Plugins: third-party Python in a folder with a `plugin.toml` (see docs/plugins.md).

`manifest` parses and checks plugin.toml (`params` the functions' argument schemas);
`archive` unpacks a folder or a .zip safely; `registry` installs, lists, verifies and enables
plugins (`model.Plugin` is what it returns); `methods` adds the plugin.* methods; `commands`
is `pajamas plugin ...`.

Running them: `runtime` keeps one host process per (persona, plugin), each a `supervisor.Host`
forked from the `forkserver` template (`host/` is the code on the host's side, `sandbox/` its
containment); `channel` owns the private wire format between core and host, `hostapi` serves
the host API, `watchdog` samples the hosts and kills those over a quota, and `census` counts
the processes a host started (when each call returns, and before a kill).
"""
