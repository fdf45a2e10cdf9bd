"""Class and zone ids live in configs/taxonomy.yaml only, never as literals in code."""

from __future__ import annotations

import ast

from inference.taxonomy import load_taxonomy


def _string_literals(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_no_class_or_zone_id_is_spelled_in_code(repo):
    tax = load_taxonomy()
    ids = set(tax.class_ids) | set(tax.zone_ids)
    files = [repo / "app.py", *sorted((repo / "inference").rglob("*.py")), *sorted((repo / "training").rglob("*.py"))]
    assert len(files) > 5
    offenders = [
        f"{path.relative_to(repo)}:{line}: {value!r}"
        for path in files
        for line, value in _string_literals(path)
        if value in ids
    ]
    assert not offenders, "ids must come from the taxonomy config:\n" + "\n".join(offenders)
