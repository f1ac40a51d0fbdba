"""The settings feature: read every setting with its source, and write `settings.toml`.

`service.py` does the work on the home's files (no core needed); `methods.py` serves
`settings.list` and `settings.set`.  The settings themselves are declared in `pajamas.config`.
"""
