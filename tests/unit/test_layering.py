"""The import direction of the house rules (README, "Layout"): ``core`` at the bottom, the feature packages above
it, the wiring (``hub/``: the app, its services, deps, middleware and routes) on top, imported by nothing below.

Read from the source with ``ast``, nothing imported: a package below the wiring that imports it, or ``core`` that
imports another package of the project, fails here with the module, the line and the import. Imports inside
functions and under ``if TYPE_CHECKING`` count too; a documented lazy import that is allowed would go in
``ALLOWED`` (there is none today).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Below the wiring: they may import core and each other, never the wiring.
FEATURES = ("kb", "handoff", "tickets", "analytics", "privacy", "customers", "actions", "bot")
WIRING = ("hub", "bot.app", "bot.services")  # bot.app and bot.services were the wiring before hub/ took it over
# (importing module, imported module) -> where it is documented and why it is allowed.
ALLOWED: dict[tuple[str, str], str] = {}


def project_packages(root: Path) -> list[str]:
    """The project's packages: top-level directories with an ``__init__.py``, the tests apart."""
    return sorted(p.name for p in root.iterdir() if (p / "__init__.py").is_file() and p.name != "tests")


def module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(root: Path, path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` for every import in ``path``, at any depth, relative ones resolved; ``from a import b``
    gives ``a`` and ``a.b`` (``b`` may be a module: ``from bot import services``)."""
    module = module_name(root, path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def violations(root: Path, packages, forbidden) -> list[str]:
    """``"module (line n) imports name"`` for each import of a ``forbidden`` module by a module of ``packages``."""
    out = set()
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(root, path)
            if _within(module, WIRING):
                continue  # the wiring itself (bot.app / bot.services, were they to come back)
            for line, name in imports(root, path):
                if _within(name, forbidden) and not _within(name, [package]) and (module, name) not in ALLOWED:
                    out.add(f"{module} (line {line}) imports {name}")
    return sorted(out)


@pytest.mark.parametrize("package", FEATURES)
def test_no_package_below_the_wiring_imports_the_wiring(package):
    found = violations(ROOT, [package], WIRING)
    print("\n".join(found))
    assert found == [], f"{package} imports the wiring:\n" + "\n".join(found)


def test_core_imports_no_other_package_of_the_project():
    found = violations(ROOT, ["core"], [p for p in project_packages(ROOT) if p != "core"])
    print("\n".join(found))
    assert found == [], "core imports packages above it:\n" + "\n".join(found)


def test_the_scan_finds_what_it_looks_for(tmp_path):
    """Lazy, relative and ``from package import module`` imports are all found (the tree is clean today, so this
    is what shows the two tests above would fail)."""
    for name, source in {"core/__init__.py": "", "core/clock.py": "def now():\n    from kb.store import KbStore\n",
                         "kb/__init__.py": "", "kb/store.py": "from . import search\nfrom core import clock\n", "kb/search.py": "",
                         "bot/__init__.py": "", "bot/turns.py": "from hub import services\n",
                         "handoff/__init__.py": "", "handoff/queue.py": "import typing\nif typing.TYPE_CHECKING:\n    import hub.deps\n",
                         "hub/__init__.py": "", "hub/services.py": "import kb.store\n"}.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(source)
    assert project_packages(tmp_path) == ["bot", "core", "handoff", "hub", "kb"]
    assert violations(tmp_path, FEATURES, WIRING) == ["bot.turns (line 1) imports hub", "bot.turns (line 1) imports hub.services",
                                                     "handoff.queue (line 3) imports hub.deps"]
    assert violations(tmp_path, ["core"], ["kb", "hub", "bot", "handoff"]) == ["core.clock (line 2) imports kb.store",
                                                                              "core.clock (line 2) imports kb.store.KbStore"]
    assert (1, "kb.search") in imports(tmp_path, tmp_path / "kb" / "store.py")  # relative, resolved
