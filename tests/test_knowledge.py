"""The knowledge base: complete, consistent, sourced, paraphrased, and joined correctly to results."""

from __future__ import annotations

import re

import pytest
import yaml

from inference.config import ConfigError
from inference.knowledge import advice_for, load_knowledge
from inference.results import Prediction
from inference.taxonomy import load_taxonomy

SEED = "pinched-nerve-foot-running.txt"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower().replace("\u2019", "'"))


def _texts(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for v in node.values() for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts(v)]
    return []


def test_every_class_has_advice_and_every_reference_resolves():
    kb = load_knowledge()
    assert set(kb.classes) == set(load_taxonomy().class_ids)
    for advice in kb.classes.values():
        assert all(c in kb.self_checks for c in advice.self_checks)
        assert all(c in kb.clinician_checks for c in advice.clinician_checks)


def test_the_seed_article_is_paraphrased_not_copied(repo):
    """No run of eight words of the clinician's article appears in the knowledge base."""
    article = repo.parent / "shared" / "seed" / SEED
    if not article.is_file():
        pytest.skip(f"the clinician's article is not here ({article}): nothing to compare the advice with")
    seed = _words(article.read_text(encoding="utf-8"))
    assert len(seed) > 1000  # the whole article, not an empty file
    grams = {tuple(seed[i:i + 8]) for i in range(len(seed) - 7)}
    kb_text = yaml.safe_load((repo / "configs" / "knowledge.yaml").read_text(encoding="utf-8"))
    copied = []
    for text in _texts(kb_text):
        words = _words(text)
        copied += [" ".join(words[i:i + 8]) for i in range(len(words) - 7) if tuple(words[i:i + 8]) in grams]
    assert not copied, copied


def test_the_topics_the_article_raises_are_covered():
    kb = load_knowledge()
    text = " ".join(_texts(kb.model_dump())).lower()
    for topic in ("ankle", "hip", "old injury", "breath", "over-striding", "knee-to-wall", "single-leg",
                  "film", "tarsal", "lumbar", "numbness", "night", "swelling", "weeks", "not a diagnosis"):
        assert topic in text, topic


def _broken_copy(repo, tmp_path, mutate) -> str:
    data = yaml.safe_load((repo / "configs" / "knowledge.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "knowledge.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["classes"]["over_pronation"]["self_checks"].append("handstand"), "unknown self-check 'handstand'"),
    (lambda d: d["red_flags"][0].update(source="a blog"), "unknown source 'a blog'"),
    (lambda d: d["classes"].pop("supination"), "do not match the taxonomy"),
    (lambda d: d["contributors"]["ankle_mobility"].pop("source"), "source"),
])
def test_a_broken_knowledge_file_is_refused_with_the_reason(repo, tmp_path, mutate, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_knowledge(_broken_copy(repo, tmp_path, mutate))


def test_advice_merges_two_shoes_and_falls_back_when_nothing_was_read():
    tax = load_taxonomy()
    kb = load_knowledge()
    a, b = tax.class_ids[1], tax.class_ids[3]
    advice = advice_for([Prediction("l.jpg", label=a), Prediction("r.jpg", label=b), Prediction("x.jpg")])
    assert [m[0] for m in advice.meanings] == [tax.wear_class(a).label, tax.wear_class(b).label]
    expected = list(dict.fromkeys(kb.classes[a].self_checks + kb.classes[b].self_checks))
    assert [c.title for c in advice.self_checks] == [kb.self_checks[c].title for c in expected]
    assert advice.red_flags and advice.cant_tell is None
    suggested = {c for c, _ in advice.clinician_checks}
    assert suggested.isdisjoint({c for c, _ in advice.more_clinician_checks})
    assert suggested | {c for c, _ in advice.more_clinician_checks} == set(kb.clinician_checks)

    nothing = advice_for([Prediction("wall.jpg", flags=["no_sole_found"])])
    assert nothing.cant_tell and not nothing.meanings
    assert [c.title for c in nothing.self_checks] == [kb.self_checks[c].title for c in kb.cant_tell.self_checks]
