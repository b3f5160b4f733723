"""Fail when a translation is missing: ``python -m medborg.web.translations_check``.

Two checks: the catalogs hold every text the code and templates mark for
translation (makemessages is run, compared and undone), and the Swedish and
Danish catalogs translate every one of them, with nothing fuzzy.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[1] / "locale"
ROOT = LOCALE.parents[1]
REQUIRED = ("sv", "da")
# A msgid and its continuation lines, as gettext wraps long texts.
MSGID = re.compile(r'^msgid ((?:"[^\n]*"\n)+)', re.M)
PART = re.compile(r'"(.*)"')


def _msgids(po: Path) -> set[str]:
    return {
        "".join(PART.findall(lines))
        for lines in MSGID.findall(po.read_text(encoding="utf-8"))
    } - {""}


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        args, cwd=ROOT, capture_output=True, text=True, check=False
    )


def stale_catalogs() -> list[str]:
    """Languages whose catalog misses texts the sources mark for translation."""
    with tempfile.TemporaryDirectory() as backup:
        saved = Path(backup) / "locale"
        shutil.copytree(LOCALE, saved)
        before = {po.parent.parent.name: _msgids(po) for po in LOCALE.glob("*/*/*.po")}
        try:
            result = _run(
                sys.executable,
                "manage.py",
                "makemessages",
                "--no-obsolete",
                "--no-location",
                "--ignore",
                ".venv/*",
                "--ignore",
                "node_modules/*",
                "--ignore",
                "bench/*",
                "--ignore",
                "tests/*",
                *[arg for language in before for arg in ("-l", language)],
            )
            if result.returncode:
                raise SystemExit(result.stderr)
            after = {
                po.parent.parent.name: _msgids(po) for po in LOCALE.glob("*/*/*.po")
            }
        finally:
            shutil.rmtree(LOCALE)
            shutil.copytree(saved, LOCALE)
    return [language for language in before if after[language] - before[language]]


def untranslated() -> list[str]:
    problems = []
    for language in REQUIRED:
        po = LOCALE / language / "LC_MESSAGES" / "django.po"
        result = _run("msgfmt", "--check", "--statistics", "-o", os.devnull, str(po))
        statistics = result.stderr.strip()
        if result.returncode or "untranslated" in statistics or "fuzzy" in statistics:
            problems.append(f"{language}: {statistics}")
    return problems


def main() -> int:
    problems = [
        f"{language}: texts are missing from the catalog; run `make messages`"
        for language in stale_catalogs()
    ] + untranslated()
    for problem in problems:
        print(problem, file=sys.stderr)  # noqa: T201
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
