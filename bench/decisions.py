"""Benchmark the decision engine: evaluations per second and replay (``make bench``).

1. In memory: a generated DMN 1.3 table of 50 rules (number ranges, string
   lists, date comparisons), hit policies UNIQUE and FIRST, run through
   ``coerce_inputs`` and ``evaluate`` on seeded random inputs and held against
   the same rules as plain Python (engine time / reference time, same run);
   and the upload check, ``guardrails.completeness`` and ``overlaps``.
2. On PostgreSQL: the demo catalog and 100,000 bulky-waste cases with their
   stored decisions (kept between runs; ``--rebuild`` makes them again).
   ``replay.replay_all()`` is timed against iterating the same rows without
   evaluating them, and its peak memory is measured.

Prints a short table and writes ``bench/results/decisions.json``. A missed goal
is reported, never an error; without PostgreSQL part 2 is skipped with the
reason. Knobs: BENCH_DECISIONS_POSTGRES_URL, BENCH_DECISIONS_COUNT,
BENCH_DECISIONS_EVALUATIONS.
"""

import argparse
import hashlib
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import run, staff  # noqa: E402
from bench.run import Skip, figure, log  # noqa: E402
from medborg.rules import dmn, guardrails  # noqa: E402
from medborg.rules.evaluate import coerce_inputs, evaluate  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "decisions.json"
URL = os.environ.get(
    "BENCH_DECISIONS_POSTGRES_URL",
    "postgres://postgres@127.0.0.1:5432/medborg_bench_decisions",
)
COUNT = int(os.environ.get("BENCH_DECISIONS_COUNT", "100000"))
EVALUATIONS = int(os.environ.get("BENCH_DECISIONS_EVALUATIONS", "20000"))
ROUNDS, SEED, BATCH = 3, 2025, 5000
SERVICE = "bulky-waste-collection"
EVALUATION_GOAL = {"op": ">=", "value": 10_000, "unit": "evaluations/s"}
SECONDS_GOAL = {"op": "<", "value": 60, "unit": "s"}
MEMORY_GOAL = {"op": "<", "value": 200, "unit": "MB"}
# The rows replay_all reads, in its order: the iteration reference.
FIELDS = ("pk", "case__reference", "table_id", "table_hash", "inputs")
FIELDS += ("matched_rules", "outputs", "problem")

# Part 1: the generated table, in memory ----------------------------------------------

ZONES = [f"zone-{n}" for n in range(10)]
VOLUMES = [0, 2, 4, 6, 8, 10]
ZONE_KEYS = ("centre", "suburbs", "rural")
CUTOFFS = ["2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01"]


class Spec(NamedTuple):
    zones: tuple[str, ...]
    low: int
    high: int
    cutoff: str
    after: bool
    outputs: dict


# Five pairs of zones × five volume ranges × before or after a date: 50 rules
# that never overlap and leave volumes from 10 up and other zones uncovered.
RULES = [
    Spec(
        tuple(ZONES[2 * g : 2 * g + 2]),
        *VOLUMES[v : v + 2],
        CUTOFFS[g],
        after,
        {
            "outcome": ("approve", "refer", "reject")[(g + v + after) % 3],
            "reason": f"reason-{g}-{v}-{after:d}",
        },
    )
    for g in range(5)
    for v in range(5)
    for after in (False, True)
]


def _rule_xml(number: int, spec: Spec) -> str:
    tests = [f"[{spec.low}..{spec.high})", ",".join(f'"{z}"' for z in spec.zones)]
    tests.append(f'{">=" if spec.after else "<"} date("{spec.cutoff}")')
    cells = [f"<inputEntry><text>{escape(test)}</text></inputEntry>" for test in tests]
    cells += [
        f'<outputEntry><text>"{v}"</text></outputEntry>' for v in spec.outputs.values()
    ]
    return f'<rule id="rule_{number}">{"".join(cells)}</rule>'


def table_xml(policy: str) -> str:
    types = {"volume_m3": "number", "zone": "string", "start": "date"}
    parts = [
        f'<definitions xmlns="{dmn.NAMESPACE}" id="bench" name="Bench" namespace='
        f'"https://medborg.example/bench"><decision id="bench_rules" name="Bench">'
        f'<decisionTable id="bench_table" hitPolicy="{policy}">',
        *(
            f'<input id="in_{name}" label="{name}"><inputExpression typeRef="{kind}">'
            f"<text>{name}</text></inputExpression></input>"
            for name, kind in types.items()
        ),
        *(f'<output id="{n}" name="{n}" typeRef="string"/>' for n in RULES[0].outputs),
        *(_rule_xml(number, spec) for number, spec in enumerate(RULES)),
        "</decisionTable></decision></definitions>",
    ]
    return "".join(parts)


def random_inputs(count: int) -> list[dict]:
    """JSON-like values as a case holds them; some match no rule."""
    rng, first = random.Random(SEED), date(2026, 1, 1)
    zones = [*ZONES, "elsewhere", None]
    return [
        {
            "volume_m3": round(rng.uniform(0, 11), 1),
            "zone": rng.choice(zones),
            "start": (first + timedelta(days=rng.randrange(365))).isoformat(),
        }
        for _ in range(count)
    ]


def _compiled(spec: Spec):
    zones, low, high = frozenset(spec.zones), spec.low, spec.high
    cutoff, after = date.fromisoformat(spec.cutoff), spec.after
    return lambda volume, zone, start: (
        zone in zones and low <= volume < high and (start >= cutoff) is after
    )


def reference(policy: str):
    """The 50 rules as plain Python comparisons: no FEEL, no engine."""
    checks = [(_compiled(spec), spec.outputs) for spec in RULES]

    def decide(values: dict) -> dict | None:
        volume, zone = values["volume_m3"], values["zone"]
        start = date.fromisoformat(values["start"])
        hits = (out for test, out in checks if test(volume, zone, start))
        if policy == "FIRST":
            return next(hits, None)
        hits = list(hits)
        return hits[0] if len(hits) == 1 else None

    return decide


def _seconds(decide, inputs: list[dict]) -> float:
    started = time.perf_counter()
    for values in inputs:
        decide(values)
    return time.perf_counter() - started


def _policy(table, inputs: list[dict]) -> dict:
    """Best of ROUNDS, the engine and the reference taking turns."""

    def engine_decide(values: dict):
        return evaluate(table, coerce_inputs(table, values))

    decide, engine, plain = reference(table.hit_policy), float("inf"), float("inf")
    for _round in range(ROUNDS):
        plain = min(plain, _seconds(decide, inputs))
        engine = min(engine, _seconds(engine_decide, inputs))
    results = [engine_decide(values) for values in inputs]
    differ = sum(r.outputs != decide(v) for r, v in zip(results, inputs, strict=True))
    return {
        "seconds": figure(round(engine, 3), "s"),
        "evaluations_per_s": figure(
            round(len(inputs) / engine, 1), "evaluations/s", EVALUATION_GOAL
        ),
        "reference_per_s": figure(round(len(inputs) / plain, 1), "evaluations/s"),
        "ratio_to_reference": figure(round(engine / plain, 2), "ratio"),
        "decided": figure(sum(r.outputs is not None for r in results), "inputs"),
        "differences_to_reference": figure(differ, "inputs"),
    }


def measure_evaluation() -> dict:
    inputs = random_inputs(EVALUATIONS)
    tables = {
        policy: dmn.parse_one(table_xml(policy)) for policy in ("UNIQUE", "FIRST")
    }
    entry = {"rules": len(RULES), "inputs": EVALUATIONS, "rounds": ROUNDS}
    marks = [time.perf_counter()]
    gaps = guardrails.completeness(tables["UNIQUE"])
    marks.append(time.perf_counter())
    overlaps = guardrails.overlaps(tables["UNIQUE"])
    marks.append(time.perf_counter())
    entry["upload_check"] = {
        "completeness": figure(round((marks[1] - marks[0]) * 1000, 2), "ms"),
        "overlaps": figure(round((marks[2] - marks[1]) * 1000, 2), "ms"),
        "findings": [finding.code for finding in gaps + overlaps],
    }
    return entry | {policy: _policy(table, inputs) for policy, table in tables.items()}


# Part 2, worker: runs inside Django as ``python bench/decisions.py --worker TASK`` --


def _sample(service) -> tuple[dict, object]:
    """A case submitted the ordinary way (its fields) and its decision; rolled back."""
    from django.db import transaction

    from shapely.geometry import shape

    from medborg.cases.models import Case
    from medborg.cases.services import submit_case
    from medborg.catalog.models import Zone

    point = shape(Zone.objects.get(key="centre").geometry).representative_point()
    answers = {"waste-type": "furniture", "item-count": 2, "volume-m3": 2}
    with transaction.atomic():
        case = submit_case(
            service=service, answers=answers, latitude=point.y, longitude=point.x
        ).case
        decision = case.decisions.get()
        transaction.set_rollback(True)
    fields = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}
    fields.pop("id")
    return fields, decision


def _decision(case, service, template, zone: str, explained: dict):
    """The decision ``decide_case`` would store, as it stores it."""
    from medborg.rules.evaluate import as_json
    from medborg.rules.models import Decision
    from medborg.rules.selectors import parsed
    from medborg.rules.services import explanations, outcome_of, run_table

    table, volume = service.decision_table, case.answers["volume-m3"]
    result = run_table(table, {"zone": zone, "volume_m3": volume})
    stored, (outcome, reasons) = as_json(result), outcome_of(result)
    if (zone, volume) not in explained:
        explained[zone, volume] = explanations(parsed(table), result, service)
    binding = outcome != Decision.Outcome.REFER
    return Decision(
        case=case,
        kind=Decision.Kind.DECISION if binding else Decision.Kind.REFERRAL,
        outcome=outcome,
        reasons=reasons,
        table=table,
        table_hash=table.content_hash,
        table_version=table.version,
        **{key: stored[key] for key in ("inputs", "matched_rules", "outputs")},
        problem=stored["problem"] or "",
        explanation=explained[zone, volume],
        automated=True,
        legal_basis=template.legal_basis,
        made_at=template.made_at,
        appeal_until=template.appeal_until if binding else None,
    )


def _case(model, fields: dict, reference: str, rng):
    answers = {**fields["answers"], "volume-m3": rng.randint(5, 120) / 10}
    token_hash = hashlib.sha256(reference.encode()).hexdigest()
    changed = {"reference": reference, "token_hash": token_hash, "answers": answers}
    return model(**(fields | changed))


def _generate(count: int) -> None:
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from medborg.cases.models import Case, ReferenceCounter
    from medborg.catalog.models import Service
    from medborg.rules.models import Decision

    rng, explained = random.Random(SEED), {}
    service = Service.objects.select_related("decision_table").get(code=SERVICE)
    fields, template = _sample(service)
    year = timezone.localdate().year - 1
    prefix = f"{settings.REFERENCE_PREFIX}-{year}"
    with transaction.atomic():
        for first in range(1, count + 1, BATCH):
            numbers = range(first, min(first + BATCH, count + 1))
            cases = Case.objects.bulk_create(
                _case(Case, fields, f"{prefix}-{n:06d}", rng) for n in numbers
            )
            Decision.objects.bulk_create(
                _decision(case, service, template, zone, explained)
                for case, zone in zip(
                    cases, rng.choices(ZONE_KEYS, k=len(cases)), strict=True
                )
            )
        # New cases of that year would continue after the generated ones.
        ReferenceCounter.objects.update_or_create(
            prefix=settings.REFERENCE_PREFIX, year=year, defaults={"last_number": count}
        )
    with connection.cursor() as cursor:
        for model in (Case, Decision):
            name = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"VACUUM ANALYZE {name}")


def prepare(count: int) -> dict:
    """Reuse the database if it holds the data, else fill an empty one."""
    from medborg.cases.models import Case
    from medborg.catalog import demo
    from medborg.catalog.models import Service
    from medborg.rules.models import Decision

    found = {"cases": Case.objects.count(), "decisions": Decision.objects.count()}
    if found["cases"] == count and found["decisions"] == count:
        return {"reused": True, **found}
    if found["cases"] or Service.objects.exists():
        return {"reused": False, "needs_rebuild": True, **found}
    demo.load()
    _generate(count)
    found = {"cases": Case.objects.count(), "decisions": Decision.objects.count()}
    return {"reused": False, **found}


def _timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    answer = function()
    return time.perf_counter() - started, answer


def _iterate() -> int:
    from medborg.rules.models import Decision

    rows = Decision.objects.exclude(kind=Decision.Kind.OVERRIDE).filter(
        table__isnull=False
    )
    return sum(1 for _ in rows.values(*FIELDS).order_by("pk").iterator(2000))


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def replay() -> dict:
    """Iterate, replay, iterate again (timed); then replay under tracemalloc."""
    import tracemalloc
    from dataclasses import asdict

    from medborg.rules.replay import replay_all

    found = {"iterate_s": [_timed(_iterate)[0]], "rss_before": _peak_rss_mb()}
    found["seconds"], report = _timed(replay_all)
    found["rss_peak"] = _peak_rss_mb()
    found["iterate_s"].append(_timed(_iterate)[0])
    tracemalloc.start()
    found["traced_s"] = _timed(replay_all)[0]
    found["traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    found["replayed"] = report.replayed
    found["differences"] = [asdict(d) for d in report.differences]
    return found


def worker(task: str, options: dict) -> None:
    import django

    django.setup()
    answer = prepare(options["count"]) if task == "prepare" else replay()
    print("BENCH_DECISIONS " + json.dumps(answer, default=str))


# Part 2, orchestration: no Django ORM in this process, as in bench/staff.py --------


def call_worker(env: dict, task: str, timeout: int = 900, **options) -> dict:
    return staff.run_worker(
        Path(__file__), "BENCH_DECISIONS", env, task, timeout, **options
    )


def dataset(url: str, count: int, rebuild: bool) -> dict:
    """A database with ``count`` decisions: reused when it has them, else made anew."""
    env = run.django_env(url)
    if rebuild or not staff.database_exists(url):
        run.recreate_postgres(url)
    started = time.perf_counter()
    migrated = run.manage(env, "migrate", "--no-input", timeout=600)
    if migrated.returncode != 0:
        raise Skip(f"migrate failed: {migrated.stderr.strip()[-1500:]}")
    info = call_worker(env, "prepare", count=count)
    if info.get("needs_rebuild"):
        log(f"{url} holds {info['cases']} cases and {info['decisions']} decisions")
        return dataset(url, count, rebuild=True)
    if not info["reused"]:
        info["load_s"] = figure(round(time.perf_counter() - started, 1), "s")
    return {**info, "env": env}


def _replay_entry(found: dict) -> dict:
    seconds, iterate = found["seconds"], found["iterate_s"]
    mean, growth = sum(iterate) / 2, found["rss_peak"] - found["rss_before"]
    values = {
        "replayed": (found["replayed"], "decisions"),
        "seconds": (round(seconds, 2), "s", SECONDS_GOAL),
        "decisions_per_s": (round(found["replayed"] / seconds), "decisions/s"),
        "iterate_s": (round(mean, 2), "s"),
        "iterate_spread": (round(iterate[1] / iterate[0] - 1, 3), "ratio"),
        "ratio_to_iterate": (round(seconds / mean, 2), "ratio"),
        "tracemalloc_peak": (round(found["traced_mb"], 1), "MB", MEMORY_GOAL),
        "seconds_under_tracemalloc": (round(found["traced_s"], 2), "s"),
        "rss_growth": (round(growth, 1), "MB", MEMORY_GOAL),
        "rss_peak": (round(found["rss_peak"], 1), "MB"),
        "differences": (len(found["differences"]), "decisions"),
    }
    entry = {key: figure(*value) for key, value in values.items()}
    return entry | {"first_differences": found["differences"][:3]}


def measure_replay(rebuild: bool, versions: dict) -> dict:
    entry = {"status": "skipped", "database_url": URL}
    try:
        log(f"replay: {COUNT} decisions at {URL}")
        info = dataset(URL, COUNT, rebuild)
        versions["postgresql"] = run.dbinfo(info["env"], "server")["version"]
        log("replay: iterate, replay, iterate, replay under tracemalloc")
        found = call_worker(info["env"], "replay")
    except Skip as exc:
        log(f"replay skipped: {exc}")
        return entry | {"reason": str(exc)}
    if found["differences"]:
        log(f"WARNING: {len(found['differences'])} decisions replayed differently")
    data = {
        k: v for k, v in info.items() if k in ("reused", "cases", "decisions", "load_s")
    }
    return entry | {"status": "measured", "data": data, **_replay_entry(found)}


# Output ------------------------------------------------------------------------------


def _line(name: str, entry: dict, ratio: dict | None = None) -> str:
    goal, verdict = entry.get("goal"), ""
    if goal:
        met = "met" if entry["met"] else "MISSED"
        verdict = f"{goal['op']} {goal['value']:,} {goal['unit']}: {met}"
    ratio_text = f"{ratio['value']:.2f}" if ratio else ""
    unit = f" {entry['unit']}"
    line = f"{name:<28}{entry['value']:>12,}{unit:<15}{ratio_text:>7}  {verdict}"
    return line.rstrip()


def table(results: dict) -> str:
    evaluation, replayed = results["evaluation"], results["replay"]
    head = f"{'measurement':<28}{'value':>12}{' unit':<15}{'ratio':>7}  goal"
    lines = [head, "-" * len(head)]
    for policy in ("UNIQUE", "FIRST"):
        entry = evaluation[policy]
        ratio = entry["ratio_to_reference"]
        lines.append(_line(f"evaluate, {policy}", entry["evaluations_per_s"], ratio))
        lines.append(_line("  plain Python reference", entry["reference_per_s"]))
    for name, entry in evaluation["upload_check"].items():
        if name != "findings":
            lines.append(_line(f"upload check: {name}", entry))
    if replayed["status"] != "measured":
        return "\n".join([*lines, f"replay: skipped: {replayed['reason']}"])
    lines.append(
        _line(f"replay {COUNT:,}", replayed["seconds"], replayed["ratio_to_iterate"])
    )
    for name, key in (
        ("  replay rate", "decisions_per_s"),
        ("  iterate only (reference)", "iterate_s"),
        ("  peak traced memory", "tracemalloc_peak"),
        ("  RSS growth", "rss_growth"),
        ("  differences", "differences"),
    ):
        lines.append(_line(name, replayed[key]))
    data = replayed["data"]
    made = "reused (--rebuild to load again)"
    if not data["reused"]:
        made = f"loaded in {data['load_s']['value']} s"
    lines.append(f"Data: {data['cases']} cases, {data['decisions']} decisions; {made}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="make the data again")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker[0], json.loads(args.worker[1]))
        return 0
    import django

    started = datetime.now(UTC)
    results = {
        "benchmark": "decisions",
        "started_at": started.isoformat(timespec="seconds"),
        "machine": run.machine(),
        "versions": {
            "python": platform.python_version(),
            "django": django.__version__,
            "psycopg": metadata.version("psycopg"),
            "defusedxml": metadata.version("defusedxml"),
            "postgresql": None,
        },
        "setup": {
            "goals": {
                "evaluation": "≥ 10,000 evaluations/s for 50 rules, each hit policy",
                "replay": f"{COUNT} decisions in < 60 s, peak memory < 200 MB",
                "ratio_to_reference": "no goal: engine time over the same rules "
                "in plain Python, best of each over the rounds",
                "ratio_to_iterate": "no goal: replay time over reading its rows "
                "without evaluating (mean of before and after)",
            },
        },
    }
    log(f"evaluation: {len(RULES)} rules, {EVALUATIONS} inputs, best of {ROUNDS}")
    results["evaluation"] = measure_evaluation()
    results["replay"] = measure_replay(args.rebuild, results["versions"])
    run.finish(results, started, RESULTS, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
