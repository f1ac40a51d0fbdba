"""Containment of a plugin host, applied in the host before any plugin code is imported.

`limits` (rlimits), `cgroup` (a pids cgroup per host), `namespaces` (user + network
namespaces), `landlock` (file-system, TCP and scope confinement), `seccomp` (no new processes
with a `processes` quota of 0), `confine` (applies them all in order and says which held),
`paths` (what a host may read) and `probe` (what this machine offers, for system.info).
"""
