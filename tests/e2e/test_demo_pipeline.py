"""The main job's own path (``fangxin demo``) on the smoke data set, checked against the truth.

Given the generator's smoke set, when it goes through a local stack (its own Kafka broker, the
three services on embedded SQLite, as ``make demo`` runs them), then the report read from the
services' APIs shows exactly what the generator says must come out.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from rich.console import Console
from typer.testing import CliRunner

from fangxin.cli import app
from fangxin.demo import OFFICE, Run, run_pipeline
from fangxin.generator import Dataset, generate
from fangxin.local.processes import free_port
from fangxin.local.secrets import local_tokens
from fangxin.local.services import ServiceStartError
from fangxin.report import PLAN_YEARS, Report
from fangxin.stack import LocalStack

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def smoke() -> Dataset:
    return generate(seed=7, size="smoke")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    started = LocalStack.on_free_ports(tmp_path_factory.mktemp("demo"),
                                       ("intake", "workflow", "projections"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def demo_run(smoke: Dataset, stack: LocalStack) -> Run:
    run = Run(dataset=smoke)
    console = Console(file=io.StringIO(), width=160)
    try:
        run_pipeline(console, stack, smoke, run)
    except ServiceStartError as exc:
        pytest.fail(str(exc), pytrace=False)
    return run


def report_of(run: Run) -> Report:
    assert run.report is not None
    return run.report


def test_every_message_gets_the_receipt_the_generator_expects(smoke: Dataset, demo_run: Run):
    truth = smoke.truth
    receipts = report_of(demo_run).receipts

    assert receipts == {"accepted": truth.accepted, "duplicate": truth.duplicates,
                        "rejected": truth.rejected}
    assert report_of(demo_run).rejected_by_code == truth.rejected_by_code


def test_the_workflow_opens_the_cases_the_generator_expects(smoke: Dataset, demo_run: Run):
    assert report_of(demo_run).cases_by_kind == {
        kind: count for kind, count in smoke.truth.cases_by_kind.items() if count}


def test_cases_whose_deadlines_passed_long_ago_are_overdue_and_escalated(demo_run: Run):
    # every fact is from 2022-2024: each case still open has missed a deadline by now
    for row in report_of(demo_run).cases:
        assert row["overdue"] == row["open"], row
        assert row["escalations"] >= row["overdue"], row


def test_canteen_coverage_and_summaries_match_the_generated_year(smoke: Dataset,
                                                                 demo_run: Run):
    report = report_of(demo_run)
    for year in PLAN_YEARS:
        expected = smoke.truth.canteen_coverage[str(year)]
        coverage = report.coverage[year]
        assert (coverage["registered"], coverage["sampled"]) == (
            expected["registered"], expected["sampled"]), year
        summaries = smoke.truth.summaries[str(year)]
        assert report.summaries[year].get("on_time", 0) == summaries["on_time"], year
        assert report.summaries[year].get("late", 0) == summaries["late"], year


def test_the_traced_lot_reaches_its_farms_and_every_downstream_business(smoke: Dataset,
                                                                         demo_run: Run):
    traced = smoke.truth.traced_lot
    assert traced is not None
    report = report_of(demo_run)

    assert {lot["lot_code"] for lot in report.upstream} >= {
        farm_lot["lot"] for farm_lot in traced.upstream}
    assert {row["entity_id"] for row in report.recall_scope} == {
        business["entity_id"] for business in traced.downstream}


def test_every_stage_was_timed(demo_run: Run):
    assert set(demo_run.seconds) == {"start Kafka", "start services", "publish", "catch up",
                                     "report"}


def cli(stack: LocalStack, *args: str) -> str:
    """Run a ``fangxin`` command against the stack (as the district office); its output."""
    token = local_tokens(stack.state_dir)[OFFICE]
    result = CliRunner().invoke(app, [*args, "--token", token], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_an_operator_traces_the_lot_from_the_command_line(smoke: Dataset, demo_run: Run,
                                                          stack: LocalStack):
    traced = smoke.truth.traced_lot
    assert traced is not None

    output = cli(stack, "trace", traced.lot_code, "--projections",
                 stack.services["projections"].url)

    assert all(farm_lot["lot"] in output for farm_lot in traced.upstream)
    assert all(business["township"] in output for business in traced.downstream)


def test_an_operator_lists_overdue_cases_and_reads_the_appraisal(demo_run: Run,
                                                                 stack: LocalStack):
    listed = cli(stack, "cases", "list", "--kind", "SD", "--overdue", "--workflow",
                 stack.services["workflow"].url)
    appraisal = cli(stack, "assessment", "--period", "2024", "--by", "township",
                    "--projections", stack.services["projections"].url)

    sd_row = next(r for r in report_of(demo_run).cases if r["kind"] == "SD")
    assert listed.count("SD-") == min(sd_row["overdue"], 50)
    assert "2024 appraisal by township" in appraisal


def test_a_command_against_a_stopped_service_fails_with_one_line(stack: LocalStack):
    result = CliRunner().invoke(app, ["assessment", "--token", "x", "--projections",
                                      f"http://127.0.0.1:{free_port()}"])

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1, result.output
