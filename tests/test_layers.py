"""Layers stay layered (ARCHITECTURE.md): a module imports only from the layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import loanwatch

SRC = Path(loanwatch.__file__).parent

# layer -> the loanwatch layers it may import (itself always allowed)
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "analytics": {"domain"},
    "security": {"domain"},
    "policy": {"domain"},
    "engines": {"domain", "security"},
    "ingest": {"domain", "security", "engines", "policy"},
    "workspace": {"domain", "security", "engines", "ingest", "policy"},
    # the simulator writes contract files; it must not lean on the importer it feeds
    "simulate": {"domain"},
    # classification rules are analytics too (tables in, table out) plus the policy vocabulary
    "classify": {"domain", "analytics", "policy"},
    "rules": {"domain", "analytics", "policy"},
    # PD models on frames the batch prepared (pandas, scikit-learn, LightGBM, optbinning)
    "models": {"domain", "policy"},
    # pure lifecycles of alerts and tasks (state, event) -> (state, effects)
    "workflow": {"domain", "policy"},
    # the operational store: repositories of the workflow's records (SQLAlchemy, Alembic)
    "storage": {"domain", "policy", "workflow", "security"},
    # graph algorithms (networkx) on tables the analytics prepared
    "graph": {"domain", "analytics", "policy"},
    # services carry out the workflow's effects on the store, from the marts the batch made
    "services": {"domain", "policy", "workflow", "storage", "engines", "workspace", "batch",
                 "security", "ingest"},
    "batch": {"domain", "analytics", "classify", "rules", "graph", "models", "engines", "policy",
              "workspace"},
    # reports render what the batch measured
    "reports": {"domain", "policy", "rules", "models", "batch"},
    # the console and the API: thin handlers over the services; they render reports too
    "web": {"domain", "security", "policy", "workspace", "services", "workflow", "batch",
            "engines", "reports"},
    "cli": {"domain", "security", "engines", "ingest", "policy", "workspace", "simulate", "batch",
            "classify", "models", "reports", "services", "workflow", "storage", "web"},
}


def _layer(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imported_layers(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("loanwatch."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("loanwatch.")}
    return found


def test_every_module_imports_only_lower_layers():
    problems = []
    for path in SRC.rglob("*.py"):
        layer = _layer(path)
        if layer in ("__init__", "__main__"):
            continue
        assert layer in ALLOWED, f"{path}: layer {layer} is not in the layer map"
        bad = _imported_layers(path) - ALLOWED[layer] - {layer}
        if bad:
            problems.append(f"{path.relative_to(SRC)} imports {sorted(bad)}")
    assert not problems, problems
