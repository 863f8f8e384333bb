"""Data-quality coverage of the dbt project, from dbt's manifest.json and catalog.json: each
model's grain test, its not-null keys, and the columns without a description. Marts must have a
unique-grain test and every description; the report says what is missing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

GRAIN_TESTS = {"unique": "column_name", "unique_combination": "combination_of_columns"}


@dataclass
class ModelCoverage:
    name: str
    layer: str  # staging | intermediate | marts | ...
    description: str
    grain: list[str] | None  # the narrowest unique key
    not_null: set[str] = field(default_factory=set)
    natural_key: list[str] | None = None  # the columns of its unique_combination test
    columns: list[str] = field(default_factory=list)  # as built (catalog) or as documented
    undocumented: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        found = []
        if self.layer == "marts":
            if not self.grain:
                found.append("no unique-grain test")
            elif missing := [c for c in self.grain if c not in self.not_null]:
                found.append(f"grain column(s) without not_null: {', '.join(missing)}")
            if not self.description.strip():
                found.append("no model description")
            if self.undocumented:
                found.append(f"undocumented column(s): {', '.join(self.undocumented)}")
        return found


def _layer(node: dict) -> str:
    parts = node.get("fqn", [])
    return parts[1] if len(parts) > 2 else "models"


def coverage(target_dir: Path) -> list[ModelCoverage]:
    manifest = json.loads((target_dir / "manifest.json").read_text())
    catalog_path = target_dir / "catalog.json"
    catalog = json.loads(catalog_path.read_text())["nodes"] if catalog_path.exists() else {}
    models: dict[str, ModelCoverage] = {}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model":
            continue
        documented = {name.lower(): col for name, col in node["columns"].items()}
        built = [c.lower() for c in catalog.get(unique_id, {}).get("columns", {})]
        columns = built or list(documented)
        undocumented = [
            c for c in columns if not documented.get(c, {}).get("description", "").strip()
        ]
        models[unique_id] = ModelCoverage(
            name=node["name"],
            layer=_layer(node),
            description=node.get("description", ""),
            grain=None,
            columns=columns,
            undocumented=undocumented,
        )
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        model = models.get(node.get("attached_node") or "")
        if model is None:
            continue
        name = node["test_metadata"]["name"]
        kwargs = node["test_metadata"].get("kwargs", {})
        if name in GRAIN_TESTS:
            value = kwargs.get(GRAIN_TESTS[name])
            grain = [value] if isinstance(value, str) else list(value or [])
            grain = [g.lower() for g in grain]
            if model.grain is None or len(grain) < len(model.grain):
                model.grain = grain  # the narrowest unique key is the grain
            if name == "unique_combination":
                model.natural_key = grain
        elif name == "not_null" and kwargs.get("column_name"):
            model.not_null.add(kwargs["column_name"].lower())
    return sorted(models.values(), key=lambda m: (m.layer, m.name))


def mart_keys(target_dir: Path) -> dict[str, tuple[str, ...]]:
    """Each mart's key for matching its rows across two builds: the columns of its
    `unique_combination` test (the natural key: no engine-specific text in it), else its
    `unique` column. Marts without either are left out (the caller decides if that is an error)."""
    return {
        model.name: tuple(model.natural_key or model.grain)
        for model in coverage(target_dir)
        if model.layer == "marts" and (model.natural_key or model.grain)
    }


def report(models: list[ModelCoverage]) -> str:
    lines = [f"{'model':<34} {'layer':<13} grain", "-" * 78]
    for model in models:
        grain = ", ".join(model.grain) if model.grain else "(none)"
        lines.append(f"{model.name:<34} {model.layer:<13} {grain}")
        if model.undocumented:
            lines.append(f"    undocumented: {', '.join(model.undocumented)}")
        for problem in model.problems:
            lines.append(f"    PROBLEM: {problem}")
    failing = [m for m in models if m.problems]
    lines.append("-" * 78)
    lines.append(
        f"{len(models)} models, {sum(1 for m in models if m.grain)} with a grain test; "
        + (f"{len(failing)} mart(s) with problems" if failing else "every mart is covered")
    )
    return "\n".join(lines)
