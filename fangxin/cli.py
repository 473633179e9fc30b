"""The ``fangxin`` command for operators and developers."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from contracts.topics import Topics
from fangxin import cli_data, cli_read
from fangxin import demo as demo_job
from fangxin.local.kafka import KafkaServer, create_topics, resolve_classpath
from fangxin.stack import DEFAULT_PARTITIONS, LocalStack

app = typer.Typer(help="fangxin 放心: food-safety supervision platform, Longting District.",
                  no_args_is_help=True)
kafka_app = typer.Typer(help="The local Apache Kafka broker (KRaft, loopback).")
topics_app = typer.Typer(help="Kafka topics of the public surface.")
keys_app = typer.Typer(help="Secrets the services need.")
calendar_app = typer.Typer(help="The working-day calendar (国务院办公厅放假安排).")
projections_app = typer.Typer(help="The read models of the projections service.")
app.add_typer(kafka_app, name="kafka")
app.add_typer(topics_app, name="topics")
app.add_typer(keys_app, name="keys")
app.add_typer(calendar_app, name="calendar")
app.add_typer(projections_app, name="projections")
cli_read.register(app)
cli_data.register(app)
console = Console()
StateDir = Annotated[Path, typer.Option(help="where broker data, databases and logs live")]


@kafka_app.command("resolve")
def kafka_resolve() -> None:
    """Resolve the broker's jars from Maven Central (cached afterwards)."""
    classpath = resolve_classpath()
    console.print(f"Kafka classpath ready: {len(classpath.split(':'))} jars")


@kafka_app.command("start")
def kafka_start(state_dir: StateDir = Path("var"), port: int = 9092) -> None:
    """Start a broker that keeps running after this command exits."""
    server = KafkaServer(state_dir / "kafka", port=port).start(detach=True)
    console.print(f"Kafka serving on {server.bootstrap_servers}")


@kafka_app.command("stop")
def kafka_stop(state_dir: StateDir = Path("var")) -> None:
    """Stop the broker started by ``kafka start`` or ``up``."""
    stopped = KafkaServer.stop_pidfile(state_dir / "kafka")
    console.print("Kafka stopped" if stopped else "no Kafka was running")


@topics_app.command("create")
def topics_create(bootstrap: str = "127.0.0.1:9092", partitions: int = DEFAULT_PARTITIONS,
                  prefix: str = "") -> None:
    """Create every topic of the public surface (existing ones are left alone)."""
    names = Topics(prefix).all()
    create_topics(bootstrap, dict.fromkeys(names, partitions))
    console.print(f"{len(names)} topics ready with {partitions} partitions each")


@keys_app.command("cipher")
def keys_cipher() -> None:
    """Print a new AES-256 key for FANGXIN_CIPHER_KEY (the event store's encryption)."""
    from eventsourcing.cryptography import AESCipher  # noqa: PLC0415

    typer.echo(AESCipher.create_key(32))


@calendar_app.command("load")
def calendar_load(year_file: Path, workflow: str = "http://127.0.0.1:8002",
                  token: Annotated[str, typer.Option(envvar="FANGXIN_TOKEN",
                                                     help="the district office's token")] = ""
                  ) -> None:
    """Load a year's holidays and 调休 days; provisional deadlines of that year are recomputed."""
    import httpx  # noqa: PLC0415

    answer = httpx.post(f"{workflow}/calendar/years", content=year_file.read_bytes(),
                        headers={"Authorization": f"Bearer {token}",
                                 "Content-Type": "application/json"}, timeout=120)
    if answer.status_code != 200:
        console.print(f"[red]{answer.status_code} {answer.text}")
        raise typer.Exit(1)
    body = answer.json()
    console.print(f"{body['year']} loaded; {body['recomputed_cases']} cases recomputed")


@projections_app.command("rebuild")
def projections_rebuild(
        read_model: Annotated[list[str] | None, typer.Option(
            "--read-model", "-m", help="trace, assessment or cases (repeat for several); "
            "all of them when absent")] = None,
        url: Annotated[str, typer.Option(help="the projections service")] = (
            "http://127.0.0.1:8003"),
        token: Annotated[str, typer.Option(envvar="FANGXIN_TOKEN",
                                           help="the district office's token")] = "",
        offline: Annotated[bool, typer.Option(help="rebuild in this process while the service "
                                              "is stopped (settings from FANGXIN_*)")] = False,
) -> None:
    """Replay read models from Kafka offset zero into a fresh generation and switch over
    without a pause in queries; the old generation is dropped afterwards."""
    from fangxin import rebuild  # noqa: PLC0415

    if offline and rebuild.service_answers(url):
        console.print(f"[red]the service answers at {url}: stop it, or rebuild without "
                      "--offline")
        raise typer.Exit(1)
    done = (rebuild.offline(console, read_model) if offline
            else rebuild.online(console, url, token, read_model))
    if not done:
        raise typer.Exit(1)


@app.command()
def up(state_dir: StateDir = Path("var"), kafka_port: int = 9092) -> None:
    """Start Kafka and the three services (SQLite) in the background."""
    stack = LocalStack(state_dir, kafka_port=kafka_port)
    bootstrap = stack.start_kafka(detach=True)
    stack.start_services(bootstrap)
    for name, service in stack.services.items():
        console.print(_service_line(name, service.url))
    console.print(f"Kafka {bootstrap}. Logs in {state_dir / 'logs'}. Unit tokens in "
                  f"{state_dir / 'secrets' / 'tokens.json'}. Stop with: fangxin down")


def _service_line(name: str, url: str) -> str:
    if name == "console":  # pages for people: sign in with a unit token
        return f"{name:12} {url}/   (sign in with a token from tokens.json)"
    return f"{name:12} {url}/docs   {url}/metrics"


@app.command()
def down(state_dir: StateDir = Path("var")) -> None:
    """Stop what ``up`` started."""
    stopped = LocalStack.stop_detached(state_dir)
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
def demo(state_dir: StateDir = Path("var/demo"),
         once: Annotated[bool, typer.Option(help="exit after the report")] = False,
         seed: Annotated[int, typer.Option(help="the generator's seed")] = 20240101,
         size: Annotated[str, typer.Option(help="smoke, default, large or a message count")
                         ] = "default") -> None:
    """Run the main job: a generated Longting data set through the whole pipeline, a report."""
    shutil.rmtree(state_dir, ignore_errors=True)  # every demo starts from nothing
    stack = LocalStack(state_dir)
    try:
        demo_job.demo(console, stack, seed=seed, size=int(size) if size.isdigit() else size)
        if not once:
            for name, service in stack.services.items():
                console.print(_service_line(name, service.url))
            console.print("running; Ctrl-C stops everything")
            stop_signals = {signal.SIGINT, signal.SIGTERM}
            signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
            signal.sigwait(stop_signals)
    except Exception as exc:  # one clear line, non-zero exit; details are in the logs
        console.print(f"[red]demo failed: {exc}[/red] (service logs in {state_dir / 'logs'})")
        raise typer.Exit(1) from None
    finally:
        stack.stop()


def main() -> None:
    app()
