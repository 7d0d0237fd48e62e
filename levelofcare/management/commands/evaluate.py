"""`manage.py evaluate FILE|-`: DESIGN.md's evaluation contract on the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from levelofcare import rules
from levelofcare.criteria.selectors import (
    criteria_active,
    criteria_for_version,
    criteria_version_numbers,
)
from levelofcare.models import CriteriaSet
from levelofcare.recommendations.selectors import contract_evaluate
from locatr.params import BadJSON, json_parse

INVALID = 2


class Command(BaseCommand):
    help = (
        "Evaluate one answers JSON object (or a list of them) from FILE, or from "
        "standard input with '-', and print the recommendation JSON (a list for a "
        "list). Exit 2 on invalid JSON or invalid answers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="answers JSON file, or -")
        parser.add_argument(
            "--criteria-version",
            type=int,
            metavar="N",
            help="evaluate with criteria version N (default: the active version)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        criteria_set = _criteria_set(options["criteria_version"])
        payload = _load(options["file"])
        try:
            result = contract_evaluate(payload=payload, criteria_set=criteria_set)
        except rules.AnswersError as exc:
            raise CommandError(
                answers_error_text(exc, is_list=isinstance(payload, list)),
                returncode=INVALID,
            ) from exc
        self.stdout.write(json.dumps(result, indent=2))


def _criteria_set(version: int | None) -> CriteriaSet:
    if version is None:
        return criteria_active()
    try:
        return criteria_for_version(version)
    except CriteriaSet.DoesNotExist:
        known = ", ".join(str(v) for v in criteria_version_numbers())
        raise CommandError(
            f"criteria version {version} does not exist (known versions: {known})",
            returncode=INVALID,
        ) from None


def _load(name: str) -> object:
    source = "standard input" if name == "-" else name
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {source}: {exc}", returncode=INVALID) from exc
    try:
        return json_parse(text)
    except BadJSON as exc:
        raise CommandError(
            f"invalid JSON in {source}: {exc}", returncode=INVALID
        ) from None


def answers_error_text(exc: rules.AnswersError, *, is_list: bool) -> str:
    """One line per problem, naming the field (and the list item, counted from 0)."""
    lines = []
    for path, messages in exc.errors.items():
        for message in messages:
            if is_list:
                index, _, field = path.partition(".")
                where = f"item {index.strip('[]')} (counting from 0)"
                where += f", {field}" if field else ""
            else:
                where = "" if path == "__all__" else path
            lines.append(f"  {where}: {message}" if where else f"  {message}")
    return "invalid answers:\n" + "\n".join(lines)
