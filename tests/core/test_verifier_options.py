"""Verifier options: `--verifier-option KEY=VALUE`, `grading.verifier_options`, and `configure(**options)`."""

import json

import pytest
from click.testing import CliRunner

from rest_verify import Problem, Verdict
from rest_verify.cli import main
from rest_verify.errors import VerifierOptionError
from rest_verify.verifier_options import configured, parse_options


class CaseVerifier:
    """Exact match, optionally ignoring case: a verifier with one option."""

    name = "case-test"

    def __init__(self, fold: str = "no"):
        self.fold = fold
        self.version = "1" if fold == "no" else "1+fold"

    def configure(self, **options: str) -> "CaseVerifier":
        if set(options) - {"fold"} or options.get("fold", "no") not in ("yes", "no"):
            raise ValueError(f"bad options {options}")
        return CaseVerifier(**options)

    def verify(self, problem: Problem, completion: str) -> Verdict:
        fold = str.lower if self.fold == "yes" else str
        return Verdict.right() if fold(completion) == fold(problem.reference) else Verdict.wrong()


def test_parse_options_reads_pairs_and_names_a_bad_one():
    assert parse_options(["extraction=strict", " k = a=b "]) == {"extraction": "strict", "k": "a=b"}
    with pytest.raises(VerifierOptionError, match="'strict' is not KEY=VALUE"):
        parse_options(["strict"])


def test_configured_applies_options_and_keeps_a_verifier_without_them():
    plain = CaseVerifier()
    assert configured(plain, {}) is plain
    folded = configured(plain, {"fold": "yes"})
    assert folded.verify(Problem("1", reference="Paris"), "paris").correct and folded.version != plain.version
    with pytest.raises(VerifierOptionError, match="'case-test': bad options"):
        configured(plain, {"fold": "maybe"})


def test_a_verifier_without_configure_takes_no_options(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"completion": "1", "reference": "1"}) + "\n")
    result = CliRunner().invoke(main, ["grade", str(source), "-v", "exact", "--verifier-option", "a=b", "-w", "0"])
    assert result.exit_code != 0 and "'exact' takes no options" in result.output
