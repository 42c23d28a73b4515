"""`rest-em grade --verifier math --verifier-option extraction=...`: the option reaches the verifier and the record."""

from __future__ import annotations

import json

from click.testing import CliRunner
from rest_verify.cli import main


def test_grade_passes_the_extraction_option_and_records_it(tmp_path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "completion": "So x = 1/3.", "reference": "\\frac13"}) + "\n")
    runs = {}
    for extraction in ("lenient", "strict"):
        out = tmp_path / f"{extraction}.jsonl"
        result = CliRunner().invoke(main, ["grade", str(source), "-v", "math", "--verifier-option",
                                           f"extraction={extraction}", "-w", "0", "-o", str(out)])
        assert result.exit_code == 0, result.output
        manifest = tmp_path / f"{extraction}.jsonl.manifest.json"
        runs[extraction] = (json.loads(out.read_text()), json.loads(manifest.read_text()))
    lenient, strict = runs["lenient"], runs["strict"]
    assert lenient[0]["verdict"]["status"] == "correct" and lenient[0]["verdict"]["info"]["extraction"] == "final line"
    assert strict[0]["verdict"]["status"] == "no_answer"
    assert strict[1]["verifier_options"] == {"extraction": "strict"}
    assert strict[1]["verifier_version"] != lenient[1]["verifier_version"]


def test_grade_names_a_bad_extraction_option(tmp_path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"completion": "1", "reference": "1"}) + "\n")
    result = CliRunner().invoke(main, ["grade", str(source), "-v", "math", "--verifier-option", "extraction=loose"])
    assert result.exit_code != 0 and "extraction must be one of lenient, strict" in result.output
