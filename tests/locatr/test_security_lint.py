"""ruff's bandit rules (S) stay on for app code (issue 11): selected, not ignored
outside tests and benchmarks, run strictest by `make security` in CI, and every
`# noqa: S...` in app code says why."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_DIRS = ("locatr", "intake", "levelofcare", "bin")
NOQA_S = re.compile(r"#\s*(noqa|nosec)\b[:\s]*(?P<codes>[A-Z0-9, ]*)(?P<reason>.*)$")


def _lint() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]


def test_the_s_rules_are_selected_and_not_ignored_for_app_code() -> None:
    lint = _lint()

    assert "S" in lint["select"]
    assert not [code for code in lint.get("ignore", []) if code.startswith("S")]
    for pattern, codes in lint.get("per-file-ignores", {}).items():
        if any(code.startswith("S") for code in codes):
            assert pattern in {"tests/**", "bench/**"}, pattern


def test_ci_runs_make_security() -> None:
    makefile = (ROOT / "Makefile").read_text()

    assert "security:" in makefile
    assert "--select S" in makefile
    assert "--isolated" in makefile  # no config ignores, migrations included
    assert "make security" in (ROOT / ".ci" / "run").read_text()


def test_every_silenced_s_finding_in_app_code_says_why() -> None:
    unexplained = []
    for folder in APP_DIRS:
        for path in (ROOT / folder).rglob("*"):
            if not path.is_file() or path.suffix not in {".py", ""}:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                match = NOQA_S.search(line)
                if match is None:
                    continue
                codes, reason = match["codes"], match["reason"].strip(" -:")
                if ("S" in codes or match[1] == "nosec") and len(reason) < 5:
                    unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line}")

    assert not unexplained, "\n".join(unexplained)
