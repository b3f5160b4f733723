"""Replay stored decisions on their own table versions and stored inputs.

A decision must come out the same for as long as it is kept: same table bytes
(by content hash), same matched rules, same outputs. ``replay_all`` reads
decisions in chunks and parses each table version once, so memory stays flat
however many decisions there are.
"""

from dataclasses import dataclass, field

from medborg.rules import dmn
from medborg.rules.models import Decision, DecisionTable
from medborg.rules.services import run_table, stored_fields

CHUNK = 2000


@dataclass(frozen=True)
class Difference:
    decision_id: int
    reference: str
    stored: dict
    replayed: dict


@dataclass
class Report:
    replayed: int = 0
    skipped: int = 0
    differences: list[Difference] = field(default_factory=list)


def _stored(row: dict) -> dict:
    return {
        "table_hash": row["table_hash"],
        "matched_rules": row["matched_rules"],
        "outputs": row["outputs"],
        "problem": row["problem"],
    }


def _replayed(table: DecisionTable, inputs: dict, digest: str) -> dict:
    fields = stored_fields(run_table(table, inputs))
    del fields["inputs"]
    return {"table_hash": digest, **fields}


def replay_one(decision: Decision) -> Difference | None:
    """Replay one decision; None when it comes out the same (or is not replayable)."""
    if not decision.replayable:
        return None
    row = {
        "table_hash": decision.table_hash,
        "matched_rules": decision.matched_rules,
        "outputs": decision.outputs,
        "problem": decision.problem,
    }
    table = decision.table
    replayed = _replayed(table, decision.inputs, dmn.content_hash(table.xml))
    if replayed == _stored(row):
        return None
    return Difference(decision.pk, decision.case.reference, _stored(row), replayed)


def replay_all(*, service_code: str | None = None) -> Report:
    """Replay every replayable decision (optionally of one service)."""
    decisions = Decision.objects.exclude(kind=Decision.Kind.OVERRIDE).filter(
        table__isnull=False
    )
    overrides = Decision.objects.filter(kind=Decision.Kind.OVERRIDE)
    if service_code:
        decisions = decisions.filter(case__service__code=service_code)
        overrides = overrides.filter(case__service__code=service_code)
    tables = {
        table.pk: (table, dmn.content_hash(table.xml))
        for table in DecisionTable.objects.filter(
            pk__in=decisions.values("table_id").distinct()
        )
    }
    report = Report(skipped=overrides.count())
    rows = decisions.values(
        "pk",
        "case__reference",
        "table_id",
        "table_hash",
        "inputs",
        "matched_rules",
        "outputs",
        "problem",
    ).order_by("pk")
    for row in rows.iterator(chunk_size=CHUNK):
        table, digest = tables[row["table_id"]]
        replayed = _replayed(table, row["inputs"], digest)
        report.replayed += 1
        if replayed != _stored(row):
            report.differences.append(
                Difference(row["pk"], row["case__reference"], _stored(row), replayed)
            )
    return report
