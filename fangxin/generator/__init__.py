"""Deterministic data for a realistic Longting district over the plan's years (issue 6).

``generate(seed, size)`` builds the district's businesses (:mod:`.world`), its supply chains
(:mod:`.chains`), inspections (:mod:`.inspections`), samples (:mod:`.sampling`), complaints,
kitchen alerts and annual summaries (:mod:`.activities`), orders the facts by event time, mixes
in re-sends and bad messages (:mod:`.faults`) and computes the ground truth (:mod:`.truth`).
Every part draws from its own ``random.Random`` seeded from the seed and the part's name, so the
same seed and size give byte-identical messages. Sizes: ``smoke`` (~1,500 messages), ``default``
(~40,000: a district's three plan years), ``large`` (~1,000,000) or a number of messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from random import Random
from typing import Final

from fangxin.generator import activities
from fangxin.generator.chains import build_chains
from fangxin.generator.common import DEFAULT_SEED, FactLog, Scale
from fangxin.generator.faults import encode, mix_in
from fangxin.generator.inspections import inspect_all
from fangxin.generator.message import FACT, Message
from fangxin.generator.sampling import take_samples
from fangxin.generator.truth import Generated, TracedLot, Truth, compute_truth
from fangxin.generator.world import build_world, register

__all__ = ["STAGES", "Dataset", "Message", "TracedLot", "Truth", "generate"]

STAGES: Final = ("businesses", "supply chains", "inspections", "samples", "complaints",
                 "kitchen alerts", "summaries", "messages", "truth")
"""What ``generate`` reports to its ``progress`` callback, in order."""


@dataclass(frozen=True)
class Dataset:
    messages: list[Message]  # in publishing order (by event time; re-sends and bad ones mixed)
    truth: Truth  # ground truth computed while generating


def generate(seed: int = DEFAULT_SEED, size: str | int = "default",
             progress: Callable[[str], None] | None = None) -> Dataset:
    """The messages of a district's plan years and their ground truth; deterministic.

    ``progress`` is called with the name of each stage (:data:`STAGES`) as it begins.
    """
    scale = Scale.of(size)
    stage = progress or (lambda _: None)

    def rng(part: str) -> Random:
        return Random(f"{seed}:{part}")  # noqa: S311 - test data, not secrets

    log = FactLog()
    stage(STAGES[0])
    world = build_world(rng("world"), scale)
    register(world, log)
    stage(STAGES[1])
    book = build_chains(rng("chains"), world, scale, log)
    stage(STAGES[2])
    inspect_all(rng("inspections"), world, scale, log)
    stage(STAGES[3])
    sampling = take_samples(rng("sampling"), world, book, scale, log)
    stage(STAGES[4])
    activities.complaints(rng("complaints"), world, book, scale, log)
    stage(STAGES[5])
    activities.kitchen_alerts(rng("kitchen"), world, scale, log)
    stage(STAGES[6])
    outcomes = activities.summaries(rng("summaries"), log)
    stage(STAGES[7])
    facts = sorted(log.facts, key=lambda fact: (fact.time, fact.seq))
    messages = [Message(f.key.encode(), encode(f.envelope()), FACT, f.type, None)
                for f in facts]
    messages = mix_in(rng("faults"), facts, messages)
    stage(STAGES[8])
    truth = compute_truth(seed, str(size), messages, facts,
                          Generated(world, book, sampling, outcomes))
    return Dataset(messages, truth)
