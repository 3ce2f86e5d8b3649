"""The layout keeps its promises (docs/design.md): one package, imports that flow one way, and
documents that exist wherever the code or the README sends a reader."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "exequatur"
# core <- models <- register <- activities <- workflows <- api, worker, onboarding <- cli
RANK = {"core": 0, "models": 1, "register": 2, "activities": 3, "workflows": 4, "api": 5, "worker": 5,
        "onboarding": 5, "cli": 6}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "exequatur" else None


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_nothing_but_the_package_is_a_python_module_at_the_root() -> None:
    assert sorted(p.name for p in ROOT.glob("*.py")) == []
    assert sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith(("__", "."))) == sorted(RANK)


def test_imports_flow_one_way() -> None:
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        layer = path.relative_to(PACKAGE).parts[0]
        if layer not in RANK:  # exequatur/__init__.py
            continue
        for module in _imports(path):
            other = _layer(module)
            if other is not None and other != layer and RANK[other] >= RANK[layer]:
                wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_every_document_the_code_and_readme_name_exists() -> None:
    named = re.compile(r"\b((?:docs|deploy|bench|tests|examples)/[\w./-]+\.(?:md|py|yaml|csv))")
    missing = set()
    for path in [ROOT / "README.md", *PACKAGE.rglob("*.py"), *(ROOT / "docs").glob("*.md")]:
        for reference in named.findall(path.read_text()):
            if not (ROOT / reference).exists():
                missing.add(f"{path.relative_to(ROOT)}: {reference}")
    assert missing == set()


def test_the_lifecycles_document_is_the_declarations() -> None:
    """docs/lifecycles.md is written from the declarations (`make docs`): it says what they say."""
    from exequatur.models.kinds import lifecycles_markdown

    assert (ROOT / "docs" / "lifecycles.md").read_text() == lifecycles_markdown(), "run `make docs`"
