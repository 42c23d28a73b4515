import json

from click.testing import CliRunner

from rest_verify import Verdict
from rest_verify.audit import hacking_signs
from rest_verify.cli import main


def graded_line(item_id, completion, reference, verdict):
    return json.dumps({"id": item_id, "completion": completion, "reference": reference, "verdict": verdict.to_dict()})


def test_hacking_signs_name_what_the_program_does():
    reference = {"inputs": ["1\n", "2\n", "3\n"], "outputs": ["alpha\n", "beta\n", "gamma\n"]}
    hard_coded = 'x = input()\nprint({"1": "alpha", "2": "beta", "3": "gamma"}[x])'
    assert "hard-codes expected outputs" in hacking_signs(hard_coded, reference)
    assert "exits early" in hacking_signs("import sys\nsys.exit(0)")
    assert "inspects the interpreter" in hacking_signs("import gc\nfor o in gc.get_objects(): pass")
    assert "overrides comparison" in hacking_signs("class A:\n    def __eq__(self, o): return True")
    assert hacking_signs("n = int(input())\nprint(n * 2)", reference) == []


def test_audit_reports_mix_disagreement_and_signs(tmp_path):
    graded = tmp_path / "graded.jsonl"
    graded.write_text("\n".join([
        graded_line("a", "so\n42", "42", Verdict.right()),
        graded_line("b", "so\n41", "42", Verdict.right()),  # a false positive the second verifier catches
        graded_line("c", "import sys\nsys.exit(0)", "7", Verdict.right()),
        graded_line("d", "", "1", Verdict.timeout("slow")),
    ]) + "\n")
    result = CliRunner().invoke(main, ["audit", str(graded), "--against", "exact", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "| correct | 3 | 75.0% |" in result.output
    assert "2 of 4 items with a reference disagree" in result.output
    assert "`b`: ours correct, theirs wrong" in result.output
    assert "exits early: 1" in result.output
    assert "Warning:" in result.output  # a quarter timed out


def test_audit_rejects_files_that_are_not_graded(tmp_path):
    bad = tmp_path / "x.jsonl"
    bad.write_text('{"completion": "x"}\n')
    result = CliRunner().invoke(main, ["audit", str(bad)])
    assert result.exit_code != 0 and "not a graded line" in result.output


def test_audit_reports_the_rewards_each_extraction_rule_earned(tmp_path):
    graded = tmp_path / "graded.jsonl"
    graded.write_text("\n".join([
        graded_line("a", "\\boxed{4}", "4", Verdict.right(extraction="boxed", fallback=False)),
        graded_line("b", "so 4", "4", Verdict.right(extraction="last number", fallback=True)),
        graded_line("c", "so 4", "4", Verdict.right(extraction="last number", fallback=True)),
        graded_line("d", "so 5", "4", Verdict.wrong(extraction="last number", fallback=True)),
    ]) + "\n")
    result = CliRunner().invoke(main, ["audit", str(graded)])
    assert result.exit_code == 0, result.output
    assert "| last number | yes | 2 | 66.7% |" in result.output and "| boxed | no | 1 | 33.3% |" in result.output
    assert "66.7% of rewarded items were found by a fallback rule" in result.output
