"""The shape of the package: one-way layers, no import circles, modules readable in one sitting.

The layer contract lives in pyproject.toml ([tool.importlinter]) and is checked here with
import-linter, so a wrong-way import fails CI. docs/architecture.md explains the layers.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ratings_engine"
LAYERS = {"model", "io", "engine", "rating", "toolkit", "render", "api", "web", "cli"}
#: Modules allowed past MAX_LINES must say why in their first lines ("long because").
MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each module of the package -> the package modules it imports (at any depth of its code)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                names = [f"{target}.{a.name}" for a in node.names]
                found = [n for n in names if n in modules] or ([target] if target in modules else [])
            elif isinstance(node, ast.Import):
                found = [a.name for a in node.names if a.name in modules]
            else:
                continue
            edges[name].update(f for f in found if f != name)
    return edges


def _lint(config: Path) -> bool:
    from importlinter.application.use_cases import lint_imports
    from importlinter.configuration import configure

    configure()
    return lint_imports(config_filename=str(config), cache_dir=None, no_logo=True)


def test_the_layer_contract_holds():
    assert _lint(ROOT / "pyproject.toml"), "a contract is broken: run lint-imports"


def test_the_layer_contract_names_every_layer_in_order():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    levels = [[name.removeprefix("ratings_engine.") for name in layer.split(" | ")] for layer in reversed(layers)]
    assert levels == [["model"], ["engine", "io"], ["rating"], ["toolkit"], ["render"], ["api"], ["web"], ["cli"]]
    on_disk = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert on_disk == LAYERS - {"api"}, "every sub-package is a layer of the contract"


def test_a_wrong_way_import_is_caught(tmp_path, capsys):
    """The contract is not vacuous: a model module importing the rating layer breaks it."""
    copy = tmp_path / "ratings_engine"
    subprocess.run(["cp", "-r", str(PACKAGE), str(copy)], check=True)
    (copy / "model" / "wrong_way.py").write_text("from ..rating import rate\n", encoding="utf-8")
    config = tmp_path / "pyproject.toml"
    config.write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    sys.path.insert(0, str(tmp_path))
    saved = {k: v for k, v in sys.modules.items() if k == "ratings_engine" or k.startswith("ratings_engine.")}
    try:
        for k in saved:
            del sys.modules[k]
        capsys.readouterr()
        assert not _lint(config)
        out = capsys.readouterr().out
        assert "ratings_engine.model.wrong_way -> ratings_engine.rating" in out and "one-way layers BROKEN" in out, out
    finally:
        sys.path.remove(str(tmp_path))
        for k in [k for k in sys.modules if k == "ratings_engine" or k.startswith("ratings_engine.")]:
            del sys.modules[k]
        sys.modules.update(saved)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_no_import_circles():
    assert _cycles(_imports()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_modules_are_readable_in_one_sitting():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_LINES and "long because" not in "\n".join(text.splitlines()[:25]):
            long.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")
    assert long == []
