"""`manage.py evaluate FILE|-`: the evaluation contract (DESIGN.md) on the CLI."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from levelofcare.criteria.selectors import criteria_active
from levelofcare.criteria.services import criteria_set_create
from tests.factories import PHQ9_12, PHQ9_20, answers

pytestmark = pytest.mark.django_db

CONTRACT_KEYS = {"level", "reasons", "notes", "missing", "scores", "criteria_version"}


def write(tmp_path: Path, data: object, name: str = "answers.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def evaluate(*args: str) -> object:
    out = io.StringIO()
    call_command("evaluate", *args, stdout=out)
    return json.loads(out.getvalue())


def evaluate_error(*args: str) -> CommandError:
    with pytest.raises(CommandError) as excinfo:
        call_command("evaluate", *args, stdout=io.StringIO())
    return excinfo.value


def test_one_answers_object_prints_one_recommendation(tmp_path) -> None:
    result = evaluate(write(tmp_path, answers(phq9=PHQ9_20)))

    assert set(result) == CONTRACT_KEYS
    assert result["level"] == "iop"
    assert result["criteria_version"] == 1
    assert result["scores"]["phq9"] == {
        "total": 20,
        "band": "severe",
        "item9_positive": False,
    }
    assert result["reasons"][0].keys() == {"code", "text", "values"}


def test_a_list_prints_a_list_in_the_same_order(tmp_path) -> None:
    items = [
        answers(),
        answers(phq9=PHQ9_20),
        answers(phq9=...),
        {"cssrs": {"suicidal_thoughts": True, "intent": True}},
    ]

    result = evaluate(write(tmp_path, items))

    assert isinstance(result, list)
    assert [r["level"] for r in result] == ["outpatient", "iop", None, "inpatient"]
    assert result[2]["missing"] == ["phq9"]


def test_an_empty_list_prints_an_empty_list(tmp_path) -> None:
    assert evaluate(write(tmp_path, [])) == []


def test_dash_reads_standard_input(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(answers())))

    assert evaluate("-")["level"] == "outpatient"


def test_the_active_version_is_used_by_default(tmp_path, criteria_admin) -> None:
    path = write(tmp_path, answers(phq9=PHQ9_12))
    criteria_set_create(
        based_on=criteria_active(),
        values={"phq9_iop_min": 12},
        change_note="Lower PHQ-9 IOP threshold.",
        user=criteria_admin,
    )

    now = evaluate(path)
    before = evaluate(path, "--criteria-version", "1")

    assert (now["level"], now["criteria_version"]) == ("iop", 2)
    assert (before["level"], before["criteria_version"]) == ("outpatient", 1)


def test_an_unknown_criteria_version_exits_2(tmp_path) -> None:
    error = evaluate_error(write(tmp_path, {}), "--criteria-version", "7")

    assert error.returncode == 2
    assert "criteria version 7 does not exist" in str(error)
    assert "known versions: 1" in str(error)


def test_invalid_json_exits_2_saying_where(tmp_path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"phq9": [1, 2,')

    error = evaluate_error(str(path))

    assert error.returncode == 2
    assert "invalid JSON" in str(error)
    assert "line 1" in str(error)


def test_a_missing_file_exits_2(tmp_path) -> None:
    error = evaluate_error(str(tmp_path / "nope.json"))

    assert error.returncode == 2
    assert "cannot read" in str(error)


def test_a_phq9_of_8_items_exits_2_naming_phq9(tmp_path) -> None:
    error = evaluate_error(write(tmp_path, {"phq9": [0] * 8}))

    assert error.returncode == 2
    assert "phq9: must be a list of 9 integers from 0 to 3; got 8 items" in str(error)


def test_an_unknown_key_exits_2_naming_it(tmp_path) -> None:
    error = evaluate_error(write(tmp_path, answers(mood="low")))

    assert error.returncode == 2
    assert "mood: unknown field" in str(error)


def test_an_invalid_list_item_is_named_by_its_index(tmp_path) -> None:
    items = [answers(), answers(gad7=[0, 0, 4, 0, 0, 0, 0]), 3]

    error = evaluate_error(write(tmp_path, items))

    message = str(error)
    assert error.returncode == 2
    assert "item 1 (counting from 0), gad7[2]: item 3 must be from 0 to 3" in message
    assert "item 2 (counting from 0): answers must be a JSON object" in message
    assert "item 0" not in message


def test_the_process_exits_with_status_2_and_a_message_on_stderr(
    tmp_path, capsys
) -> None:
    path = write(tmp_path, {"phq9": [0] * 8})

    with pytest.raises(SystemExit) as excinfo:
        execute_from_command_line(["manage.py", "evaluate", path])

    assert excinfo.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "CommandError: invalid answers:" in captured.err
    assert "phq9: must be a list of 9 integers" in captured.err


def test_the_process_exits_0_and_prints_json_on_success(tmp_path, capsys) -> None:
    path = write(tmp_path, [answers()])

    execute_from_command_line(["manage.py", "evaluate", path])

    assert json.loads(capsys.readouterr().out)[0]["level"] == "outpatient"
