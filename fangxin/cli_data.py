"""Operator commands for data: ``generate`` a data set, ``publish`` a file to the inbound topic."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Annotated, Final

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from contracts.topics import Topics
from fangxin.generator import STAGES, generate
from fangxin.generator.common import DEFAULT_SEED, SIZES
from fangxin.generator.files import (
    EPCIS_SOURCE,
    publish_messages,
    read_messages,
    truth_path,
    write_dataset,
)

console = Console()
Bootstrap = Annotated[str, typer.Option(envvar="FANGXIN_KAFKA_BOOTSTRAP",
                                        help="Kafka bootstrap servers")]
Prefix = Annotated[str, typer.Option(envvar="FANGXIN_TOPIC_PREFIX",
                                     help="topic prefix (tests only)")]
COLUMNS: Final = ("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn())


def _size(text: str) -> str | int:
    if text in SIZES:
        return text
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise typer.BadParameter(f"one of {', '.join(SIZES)} or a number of messages")


def generate_command(
        out: Annotated[Path, typer.Option(help="JSON Lines file to write (and FILE.truth.json)")],
        seed: int = DEFAULT_SEED,
        size: Annotated[str, typer.Option(help="smoke, default, large or a message count")]
        = "default") -> None:
    """Generate a deterministic Longting data set (2022-2024) with its ground truth."""
    chosen = _size(size)
    started = time.monotonic()
    with Progress(*COLUMNS, console=console, transient=True) as progress:
        stages = progress.add_task(f"generating ({size}, seed {seed})", total=len(STAGES))

        def stage(name: str) -> None:
            progress.update(stages, completed=STAGES.index(name),
                            description=f"generating ({size}, seed {seed}): {name}")

        dataset = generate(seed, chosen, stage)
        progress.update(stages, completed=len(STAGES))
        writing = progress.add_task(f"writing {out}", total=len(dataset.messages))
        try:
            count = write_dataset(out, dataset.messages, dataset.truth,
                                  lambda n: progress.advance(writing, n))
        except OSError as exc:
            console.print(f"[red]cannot write {out}: {exc.strerror}")
            raise typer.Exit(1) from None
    truth = dataset.truth
    console.print(f"{count} messages ({truth.accepted} facts, {truth.duplicates} re-sends, "
                  f"{truth.rejected} bad) in {time.monotonic() - started:.1f} s → {out}; "
                  f"truth in {truth_path(out)}")


def publish_command(
        file: Path, bootstrap: Bootstrap = "127.0.0.1:9092", topic_prefix: Prefix = "",
        source: Annotated[str, typer.Option(help="CloudEvent source of an EPCIS document, e.g. "
                                            "urn:fangxin:import:<name> for the GDST profile")]
        = EPCIS_SOURCE) -> None:
    """Publish a generated JSON Lines file, a CloudEvent or an EPCIS 2.0 document."""
    try:
        messages = read_messages(file, source)
    except (OSError, ValueError) as exc:
        console.print(f"[red]cannot read {file}: {exc}")
        raise typer.Exit(1) from None
    topic = Topics(topic_prefix).inbound
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the one line below says it
    try:
        with Progress(*COLUMNS, console=console) as progress:
            task = progress.add_task(f"publishing to {topic}", total=len(messages))
            sent = asyncio.run(publish_messages(
                bootstrap, topic, messages, lambda n: progress.advance(task, n)))
    except Exception as exc:
        console.print(f"[red]publishing to {bootstrap} failed: {exc or type(exc).__name__}")
        raise typer.Exit(1) from None
    console.print(f"published {sent} messages to {topic}")


def register(app: typer.Typer) -> None:
    app.command("generate")(generate_command)
    app.command("publish")(publish_command)
