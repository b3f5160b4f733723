import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from medborg.rules import dmn
from medborg.rules.evaluate import InputError, as_json, coerce_inputs, evaluate, explain

UNSUPPORTED = 2


class Command(BaseCommand):
    help = (
        "Evaluate the decision tables of a DMN 1.3 file on input values and print "
        "JSON: each decision's outputs, matched rules and explanation. Exits with "
        "status 2, printing no result, when the file holds anything the engine "
        "cannot evaluate exactly."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .dmn file.")
        parser.add_argument(
            "--context",
            default="{}",
            help="Input values as a JSON object, e.g. '{\"volume_m3\": 3}'. "
            "Dates as ISO 8601 strings.",
        )
        parser.add_argument("--decision", help="Evaluate only this decision id.")
        parser.add_argument(
            "--language", default="en", help="Language of the explanation (sv, da, en)."
        )

    def handle(self, *args, file: Path, context: str, decision, language, **options):
        try:
            values = json.loads(context)
        except json.JSONDecodeError as error:
            raise CommandError(f"--context is not valid JSON: {error}") from None
        if not isinstance(values, dict):
            raise CommandError("--context must be a JSON object of input values")
        try:
            tables = dmn.parse(file.read_bytes())
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        except dmn.UnsupportedDMN as error:
            self.stderr.write(f"unsupported: {error}")
            sys.exit(UNSUPPORTED)
        if decision:
            tables = [table for table in tables if table.id == decision]
            if not tables:
                raise CommandError(f"no decision {decision!r} in {file}")
        results = [self._evaluate(table, values, language) for table in tables]
        self.stdout.write(
            json.dumps({"decisions": results}, ensure_ascii=False, indent=2)
        )

    def _evaluate(self, table, values: dict, language: str) -> dict:
        try:
            result = evaluate(table, coerce_inputs(table, values))
        except InputError as error:
            raise CommandError(f"decision {table.id!r}, input {error}") from None
        stored = as_json(result)
        return {
            "decision": table.id,
            "name": table.name,
            "hit_policy": table.hit_policy,
            "outputs": stored["outputs"],
            "matched_rules": stored["matched_rules"],
            "problem": stored["problem"],
            "explanation": " ".join(explain(table, result, language)),
        }
