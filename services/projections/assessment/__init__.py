"""The assessment read model (评议考核): work-plan figures per unit, township, action and period.

It is built from the supervision facts (``foodsafety.supervision.v1``) and the public case events
(``foodsafety.workflow.events.v1``), exactly and rebuildably: a batch's rows and its Kafka
position are written in one transaction, and every row has a natural key (fact number,
``(case_id, version)``), so re-applying or replaying from offset zero gives the same model.

Periods are ``2024``, ``2024-Q2`` or ``2024-05`` and bucket by the local date in China
(Asia/Shanghai).

Attribution
    A case counts for every unit its assignment names when it opens: the lead unit (牵头单位),
    each co-responsible department and the township unit (属地). It counts in the township of
    its business (by the business's current registration), else in the township of its township
    unit, else in no township (shown as 未明确). Samples, registered canteens and graded
    businesses are routed at query time with the workflow's routing rules
    (``services/workflow/rules/routing.json``) and the business's current registration.
    Annual summaries count for the action's lead unit alone.

Definitions (cases are counted by the period in which they were *opened*: a cohort)
    cases_opened
        Cases opened in the period, every kind except annual summaries (AS), which have their
        own figure.
    cases_closed
        Of those, the cases closed by now.
    cases_closed_on_time
        Of those, the cases closed with *every* deadline met at or before its due time. A
        deadline's due time is the latest one the case events give (extension, resumed clock,
        recomputation); a deadline still running when the case closes counts as met at the
        closing time; a deadline without a due time cannot be late.
    cases_overdue
        Of those, the cases with a deadline for which a ``deadline.overdue`` event was seen and
        that was not met by its due time. An approved extension after the overdue event lifts
        it, as in the workflow.
    closed_on_time_rate, overdue_rate
        cases_closed_on_time / cases_opened and cases_overdue / cases_opened.
    complaints, complaints_on_time
        Complaint cases (CP) opened in the period, and those whose ``acceptance`` deadline
        (decide within 7 working days, SAMR Order 20 Art. 14) was met at or before its due time.
    samples, samples_unqualified, unqualified_rate
        Samples taken in the period (by ``sampled_at``, every programme; one row per sample
        number, the latest report winning), the unqualified ones, and their share.
    disposals, disposals_on_time
        Sampling-disposal cases (SD) opened in the period, and those closed on time (as above).
    canteens_registered, canteens_sampled, canteen_coverage (whole years only)
        School canteens (current kind ``school_canteen``) registered by the end of the year;
        those with at least one sample, of any programme, taken in the year; sampled /
        registered. The plan's target (≥ 90 %) and aim (100 %) are data in ``targets.json``.
    graded_entities, graded_inspected_enough, inspection_coverage (whole years only)
        Businesses registered by the end of the year with a current risk grade; those inspected
        in the year at least the minimum number of times for their grade (``targets.json``:
        A 1, B 1, C 2, D 3; re-inspections of a rectification do not count unless configured);
        the share.
    summaries_due, summaries_on_time (whole years only)
        Actions whose annual summary for the year was submitted or whose due time (2 December,
        from the workflow's annual_summary rule set) has passed; those submitted by the due time.
    score (units only)
        100 × Σ weight × rate / Σ weight over the rates that apply (denominator not zero):
        cases_on_time = closed_on_time_rate, no_overdue = 1 − overdue_rate, complaints_on_time,
        disposals_on_time, canteen_coverage, inspection_coverage, summaries_on_time. Weights,
        sources and explanations are in ``weights.json`` (policy, applied at query time).
    ranking
        Units by score, best first; equal scores share a rank; collective units and units with
        no applicable rate are not ranked.

Access (``http_api``): the district office and auditors see everything; a township unit sees
the figures of its township's records; any other unit sees the figures of its own records.
"""

from services.projections.assessment.attribution import Scope
from services.projections.assessment.config import AssessmentConfig, default_config
from services.projections.assessment.figures import COLUMNS
from services.projections.assessment.periods import InvalidPeriodError, Period, parse_period
from services.projections.assessment.projection import AssessmentProjection
from services.projections.assessment.views import PostgresAssessmentView, SQLiteAssessmentView

__all__ = [
    "COLUMNS", "AssessmentConfig", "AssessmentProjection", "InvalidPeriodError", "Period",
    "PostgresAssessmentView", "SQLiteAssessmentView", "Scope", "default_config", "parse_period",
]
