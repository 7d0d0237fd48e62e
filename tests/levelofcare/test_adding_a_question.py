"""Issue 9, done when: a new yes/no question that can raise the level to IOP needs
the catalogue, one rule declaration and tests, and nothing else.

The test copies the project, makes exactly those two edits (the way
CONTRIBUTING.md describes them; the question's answer of no concern is part of
its catalogue entry, and the tests' baseline and the demo data take it from
there), and then, in fresh processes inside the copy,
checks the question end to end (contract, rules, missing-answer label, form,
answer list, criteria book) and runs the copy's pure rule tests, which draw every
yes/no question from the catalogue.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from intake import catalogue

ROOT = Path(__file__).resolve().parents[2]
NOT_COPIED = (
    *(".venv", "var", "test-artifacts", ".git"),
    # Local state: caches, Hypothesis examples, the developer's .env.
    *(".env", ".hypothesis", "__pycache__", ".pytest_cache", ".ruff_cache"),
    ".mypy_cache",
)

KEY = "recent_crisis_visit"
CATALOGUE_ENTRY = """\
    _yes_no(
        "recent_crisis_visit",
        "home",
        "Emergency visit for a mental-health crisis in the past 30 days?",
        "Recent crisis visit",
        no_concern=False,
    ),
"""
RULE_DECLARATION = """\
recent_crisis_visit = _yes_rule(
    "RECENT_CRISIS_VISIT",
    IOP,
    "recent_crisis_visit",
    True,
    "Emergency visit for a mental-health crisis in the past 30 days.",
)


"""

CHECK = textwrap.dedent(
    """
    import django

    django.setup()

    from pathlib import Path

    from intake import catalogue
    from intake.answers import AnswersError, answers_from_dict
    from intake.forms import AssessmentForm
    from levelofcare import presentation, rules
    from levelofcare.criteria.book import book_sections
    from tests.baseline import answers

    assert Path(catalogue.__file__).resolve().is_relative_to(Path.cwd().resolve())
    KEY = "recent_crisis_visit"
    q = catalogue.question(KEY)

    # The contract accepts the new key and rejects anything but a boolean.
    assert getattr(answers_from_dict(answers(**{KEY: True})), KEY) is True
    try:
        answers_from_dict(answers(**{KEY: "yes"}))
    except AnswersError as error:
        assert list(error.errors) == [KEY], error.errors
    else:
        raise AssertionError("a non-boolean answer was accepted")

    def evaluate(data):
        return rules.evaluate(answers_from_dict(data), rules.DEFAULT_CRITERIA)

    # Yes on the baseline: IOP, for this reason only.
    rec = evaluate(answers(**{KEY: True}))
    assert rec.level is rules.Level.IOP, rec
    assert [r.code for r in rec.reasons] == ["RECENT_CRISIS_VISIT"], rec.reasons
    no = evaluate(answers())
    assert no.level is rules.Level.OUTPATIENT, no

    # Unanswered: missing, named with its catalogue label, linked to its field.
    rec = evaluate(answers(**{KEY: ...}))
    assert (rec.level, rec.missing) == (None, (KEY,)), rec
    (link,) = presentation.missing_links(list(rec.missing))
    assert (link.label, link.field) == ("Recent crisis visit", KEY), link

    # The form asks it and gives it back in the contract.
    assert AssessmentForm().fields[KEY].label == q.label
    given = answers(**{KEY: True})
    form = AssessmentForm(AssessmentForm.data_from_answers(given))
    assert form.is_valid(), form.errors
    assert form.to_answers() == given
    assert form.unanswered() == []

    # Clinical pages list the answer under its section.
    sections = dict(presentation.answer_sections(given))
    assert (q.label, "yes") in sections["Ability to live safely at home"], sections

    # The criteria book lists the rule, reading the question by its label.
    sections = book_sections(rules.DEFAULT_CRITERIA)
    (row,) = [r for s in sections for r in s.rules if r.code == "RECENT_CRISIS_VISIT"]
    assert (row.level_slug, row.reads) == ("iop", ("Recent crisis visit",)), row
    # The tests' baseline and the demo data answer it with its answer of no concern.
    from locatr.management.commands.create_demo_data import _NOTHING_FIRES
    from tests.baseline import BASELINE

    assert BASELINE[KEY] is False and _NOTHING_FIRES[KEY] is False
    print("new question checked")
    """
)


def _insert_before(path: Path, pattern: str, text: str) -> None:
    """Insert `text` at the start of the one line matching `pattern`."""
    source = path.read_text()
    (match, *others) = re.finditer(pattern, source, flags=re.MULTILINE)
    assert not others, f"{pattern!r} is not unique in {path}"
    path.write_text(source[: match.start()] + text + source[match.start() :])


def _add_the_question(root: Path) -> None:
    """The two edits, and only those."""
    # (a) The catalogue: just before the work or school question.
    _insert_before(
        root / "intake" / "catalogue.py",
        r'^ *_yes_no\(\s*"work_or_school_commitment"',
        CATALOGUE_ENTRY,
    )
    # (b) One rule declaration, before the escalation, and in DEFAULT_RULES.
    rules_py = root / "levelofcare" / "rules.py"
    _insert_before(rules_py, r"^IOP_WITHOUT_SAFE_HOUSING\b", RULE_DECLARATION)
    source = rules_py.read_text()
    start = source.index("\nDEFAULT_RULES")
    end = source.index("\n)", start)
    rules_py.write_text(f"{source[:end]}\n    recent_crisis_visit,{source[end:]}")


def _run(
    args: list[str], cwd: Path, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "locatr.settings",
        "SECRET_KEY": "adding-a-question-test-" + "x" * 40,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LOCATR_ENV_FILE": str(tmp_path / "no.env"),
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_a_new_yes_no_question_needs_only_the_catalogue_and_a_rule(
    tmp_path: Path,
) -> None:
    if KEY in catalogue.ANSWER_KEYS:
        pytest.skip(f"{KEY} is a real question now: pick another one for this test")
    copy = tmp_path / "locatr"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_COPIED))
    _add_the_question(copy)

    checked = _run(["-c", CHECK], copy, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "new question checked" in checked.stdout

    pure = _run(
        [
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/levelofcare/test_rules.py",
            "tests/levelofcare/test_rules_properties.py",
            "tests/intake",
        ],
        copy,
        tmp_path,
    )
    assert pure.returncode == 0, pure.stdout[-6000:] + pure.stderr[-3000:]
    assert " passed" in pure.stdout and "failed" not in pure.stdout
