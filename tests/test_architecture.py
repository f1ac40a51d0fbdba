"""The import graph: features depend on what they declare, never on the composition root.

Read from the source (AST), so imports under TYPE_CHECKING count too.  The rules:

- no module of the package imports `pajamas.app` (the composition root) or `pajamas.cli`, but
  `cli` itself and `__main__`;
- a feature's core-side modules import only the infrastructure (`INFRASTRUCTURE`), their own
  package, the libraries they build on (`LIBRARIES`) and the features whose services their
  `install` takes as arguments: the declaration is the signature, read here;
- the import graph of the core side has no cycle between packages.

A feature's CLI side (`commands.py`, and the terminal helpers it uses) is a client of the core
and may use the launcher and the RPC client; the perf suite is a client too, but for its
`methods.py`, which the core installs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "backend" / "pajamas"

#: What every feature may use: the leaf modules and the transport.
INFRASTRUCTURE = frozenset({"errors", "config", "context", "stages", "rpc", "borders", "faults",
                            "machine", "heap", "logs", "pajamas"})
#: Packages a feature builds itself rather than receives (memory owns its embedder), and
#: what each library may use in turn.
LIBRARIES = {"memory": frozenset({"embedding"}), "embedding": frozenset({"cache"})}
#: The features the core installs, each by `<feature>.methods.install` (store: its __init__).
FEATURES = ("cache", "chat", "memory", "monitor", "personas", "plugins", "store", "tasks",
            "perf", "settings")
#: Client-side modules inside feature packages: the CLI and what only it uses.
CLIENT_SIDE = frozenset({"commands.py", "follow.py", "report.py"})


@dataclass(frozen=True)
class Import:
    source: Path
    line: int
    target: str  # a dotted module name under pajamas

    @property
    def package(self) -> str:
        """The top-level part of pajamas it names: "memory" for pajamas.memory.store."""
        parts = self.target.split(".")
        return parts[1] if len(parts) > 1 else "pajamas"

    def __str__(self) -> str:
        return f"{self.source.relative_to(PACKAGE.parent)}:{self.line} imports {self.target}"


def imports_of(path: Path) -> Iterator[Import]:
    """Every import of a pajamas module in path, wherever it stands in the file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pajamas":
                for alias in node.names:
                    yield Import(path, node.lineno, f"pajamas.{alias.name}")
            elif node.module.startswith("pajamas."):
                yield Import(path, node.lineno, node.module)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("pajamas."):
                    yield Import(path, node.lineno, alias.name)


def core_side(feature: str) -> list[Path]:
    """The modules of a feature that run in the core."""
    folder = PACKAGE / feature
    if feature == "perf":
        return [folder / "methods.py"]
    return [p for p in folder.rglob("*.py") if p.name not in CLIENT_SIDE]


def install_of(feature: str) -> Path:
    return PACKAGE / feature / ("__init__.py" if feature == "store" else "methods.py")


def declared(feature: str) -> set[str]:
    """The features whose services the feature's `install` takes, read from its signature."""
    path = install_of(feature)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = {alias.asname or alias.name: node.module
             for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
             for alias in node.names}
    install = next(node for node in tree.body
                   if isinstance(node, ast.FunctionDef) and node.name == "install")
    args = [*install.args.args, *install.args.kwonlyargs]
    names = {n.id for arg in args if arg.annotation is not None
             for n in ast.walk(arg.annotation) if isinstance(n, ast.Name)}
    modules = {where[name] for name in names if name in where}
    return {m.split(".")[1] for m in modules if m.startswith("pajamas.")} - INFRASTRUCTURE


def allowed(feature: str) -> set[str]:
    return ({feature} | INFRASTRUCTURE | declared(feature) | LIBRARIES.get(feature, set()))


def test_no_module_imports_the_composition_root() -> None:
    offenders = [str(i) for path in PACKAGE.rglob("*.py")
                 if path.name not in ("cli.py", "__main__.py")
                 for i in imports_of(path) if i.target in ("pajamas.app", "pajamas.cli")]
    assert offenders == [], "\n".join(offenders)


@pytest.mark.parametrize("feature", FEATURES)
def test_a_feature_imports_only_what_its_install_declares(feature: str) -> None:
    permitted = allowed(feature)
    offenders = [f"{i} (allowed: {', '.join(sorted(permitted - INFRASTRUCTURE))})"
                 for path in core_side(feature) for i in imports_of(path)
                 if i.package not in permitted]
    assert offenders == [], "\n".join(offenders)


def test_libraries_import_only_what_they_declare() -> None:
    for library in ("embedding",):
        permitted = {library} | INFRASTRUCTURE | LIBRARIES[library]
        offenders = [str(i) for path in core_side(library) for i in imports_of(path)
                     if i.package not in permitted]
        assert offenders == [], "\n".join(offenders)


def test_installs_declare_the_services_they_read() -> None:
    # Spot checks that the signature reader sees what the composition root passes.
    assert declared("memory") == {"personas", "cache", "tasks"}
    assert declared("plugins") == {"store", "personas", "memory", "cache", "monitor"}
    assert declared("personas") == {"store", "tasks"}
    assert declared("cache") == set()


def test_the_core_side_packages_form_no_cycle() -> None:
    graph = {f: {i.package for p in core_side(f) for i in imports_of(p)}
             - INFRASTRUCTURE - {f} for f in (*FEATURES, "embedding")}
    seen: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        if seen.get(node) == "open":
            raise AssertionError(f"import cycle: {' -> '.join([*path, node])}")
        if seen.get(node) == "done":
            return
        seen[node] = "open"
        for nxt in sorted(graph.get(node, set())):
            visit(nxt, [*path, node])
        seen[node] = "done"

    for feature in graph:
        visit(feature, [])


def test_the_readme_and_the_architecture_page_name_every_package() -> None:
    root = PACKAGE.parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    architecture = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert [p for p in packages if f"  {p}/" not in layout] == []
    assert [p for p in packages if p not in ("shell", "rpc") and f"`{p}/`" not in architecture
            ] == []
