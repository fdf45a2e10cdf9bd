"""The knowledge base behind the advice: `configs/knowledge.yaml`, checked and joined to results.

The YAML is written for a clinician to review; this module makes sure it is
complete and consistent before anyone reads it (every class of the taxonomy
has an entry, every reference points at an existing check, every entry names
a known source), and turns one or two predictions into the advice the app and
the PDF report show: what the wear may mean, checks to do, clinician checks,
and when to see a clinician.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inference.config import ConfigError, load_yaml, validated
from inference.results import Prediction
from inference.taxonomy import load_taxonomy

Text = Field(min_length=3)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    title: str = Text
    where: str = Text


class Contributor(_Strict):
    title: str = Text
    text: str = Text
    source: str


class SelfCheck(_Strict):
    title: str = Text
    how: list[str] = Field(min_length=1)
    source: str


class ClinicianCheck(_Strict):
    title: str = Text
    detail: str = Text
    source: str


class RedFlag(_Strict):
    text: str = Text
    source: str


class ClassAdvice(_Strict):
    description: str = Text
    contributors: list[str] = Field(min_length=1)
    self_checks: list[str] = Field(min_length=1)
    clinician_checks: list[str] = Field(min_length=1)
    source: str


class CantTell(_Strict):
    text: str = Text
    self_checks: list[str] = Field(min_length=1)
    source: str


class KnowledgeBase(_Strict):
    version: int
    sources: dict[str, Source]
    disclaimer: str = Text
    contributors: dict[str, Contributor]
    self_checks: dict[str, SelfCheck]
    clinician_checks: dict[str, ClinicianCheck]
    red_flags: list[RedFlag] = Field(min_length=1)
    classes: dict[str, ClassAdvice]
    cant_tell: CantTell

    @model_validator(mode="after")
    def _consistent(self) -> "KnowledgeBase":
        problems = []
        sourced = ([(f"contributors.{k}", v.source) for k, v in self.contributors.items()]
                   + [(f"self_checks.{k}", v.source) for k, v in self.self_checks.items()]
                   + [(f"clinician_checks.{k}", v.source) for k, v in self.clinician_checks.items()]
                   + [(f"red_flags[{i}]", v.source) for i, v in enumerate(self.red_flags)]
                   + [(f"classes.{k}", v.source) for k, v in self.classes.items()]
                   + [("cant_tell", self.cant_tell.source)])
        problems += [f"{where}: unknown source '{s}'" for where, s in sourced if s not in self.sources]
        for cid, advice in self.classes.items():
            problems += [f"classes.{cid}: unknown contributor '{c}'" for c in advice.contributors if c not in self.contributors]
            problems += [f"classes.{cid}: unknown self-check '{c}'" for c in advice.self_checks if c not in self.self_checks]
            problems += [f"classes.{cid}: unknown clinician check '{c}'" for c in advice.clinician_checks
                         if c not in self.clinician_checks]
        problems += [f"cant_tell: unknown self-check '{c}'" for c in self.cant_tell.self_checks if c not in self.self_checks]
        if problems:
            raise ValueError("; ".join(problems))
        return self


@lru_cache(maxsize=4)
def load_knowledge(name: str = "knowledge") -> KnowledgeBase:
    """Read and check the knowledge base; its classes must be exactly the taxonomy's."""
    kb = validated(load_yaml(name), KnowledgeBase, "configs/knowledge.yaml")
    expected, found = set(load_taxonomy().class_ids), set(kb.classes)
    if expected != found:
        raise ConfigError(f"configs/knowledge.yaml: classes {sorted(found)} do not match the taxonomy's {sorted(expected)}")
    return kb


@dataclass
class Advice:
    """What to tell a runner (and a clinician) about one or two shoes, in display order."""

    meanings: list[tuple[str, str]] = field(default_factory=list)        # (pattern, what it may mean)
    contributors: list[Contributor] = field(default_factory=list)
    self_checks: list[SelfCheck] = field(default_factory=list)
    clinician_checks: list[tuple[str, ClinicianCheck]] = field(default_factory=list)   # (id, check), suggested
    more_clinician_checks: list[tuple[str, ClinicianCheck]] = field(default_factory=list)  # the rest, for the checklist
    red_flags: list[RedFlag] = field(default_factory=list)
    cant_tell: str | None = None                                        # set when no shoe gave a pattern
    disclaimer: str = ""


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def advice_for(predictions: list[Prediction], kb: KnowledgeBase | None = None) -> Advice:
    """Join the patterns found (low-confidence ones included, as the app marks them) with the knowledge base.

    Patterns are merged across shoes without repeats; with no readable pattern
    the general checks of `cant_tell` are given instead.
    """
    kb = kb or load_knowledge()
    tax = load_taxonomy()
    labels = _unique([p.label for p in predictions if p.label])
    advice = Advice(red_flags=list(kb.red_flags), disclaimer=kb.disclaimer)
    entries = [kb.classes[label] for label in labels]
    suggested = _unique([c for e in entries for c in e.clinician_checks])
    advice.clinician_checks = [(c, kb.clinician_checks[c]) for c in suggested]
    advice.more_clinician_checks = [(c, check) for c, check in kb.clinician_checks.items() if c not in suggested]
    if not labels:
        advice.cant_tell = kb.cant_tell.text
        advice.self_checks = [kb.self_checks[c] for c in kb.cant_tell.self_checks]
        return advice
    advice.meanings = [(tax.wear_class(label).label, entry.description) for label, entry in zip(labels, entries)]
    advice.contributors = [kb.contributors[c] for c in _unique([c for e in entries for c in e.contributors])]
    advice.self_checks = [kb.self_checks[c] for c in _unique([c for e in entries for c in e.self_checks])]
    return advice


def source_title(source_id: str, kb: KnowledgeBase | None = None) -> str:
    kb = kb or load_knowledge()
    return kb.sources[source_id].title
