import json

import pytest
from click.testing import CliRunner

from rest_verify import InvalidRecordError, Problem, Verdict
from rest_verify.audit import hacking_signs, read_graded
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


def write_jsonl(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_audit_against_a_second_verifier_regrades_a_run_directory_from_its_problems(tmp_path):
    run = tmp_path / "run"
    write_jsonl(run / "problems.jsonl", [
        {"id": "p1", "prompt": "6 times 7?", "reference": "42", "domain": "toy", "meta": {"source": "fixture"}},
        {"id": "p2", "prompt": "2 plus 2?", "reference": "4", "domain": "toy", "meta": {}},
    ])
    write_jsonl(run / "iter_01" / "samples.jsonl", [
        {"problem_id": "p1", "sample": 0, "prompt": "Problem: 6 times 7?\nAnswer:", "completion": "so\n42"},
        {"problem_id": "p1", "sample": 1, "prompt": "Problem: 6 times 7?\nAnswer:", "completion": "so\n41"},
        {"problem_id": "p2", "sample": 0, "prompt": "Problem: 2 plus 2?\nAnswer:", "completion": "4"},
    ])
    write_jsonl(run / "iter_01" / "verdicts.jsonl", [
        {"problem_id": "p1", "sample": 0, **Verdict.right().to_dict()},
        {"problem_id": "p1", "sample": 1, **Verdict.right().to_dict()},  # a false positive of the first verifier
        {"problem_id": "p2", "sample": 0, **Verdict.wrong().to_dict()},  # and a false negative
    ])
    first = next(read_graded(run))
    assert first.problem() == Problem(id="iter_01/p1#0", prompt="6 times 7?", reference="42", domain="toy",
                                      meta={"source": "fixture"})  # as graded, not the formatted prompt
    result = CliRunner().invoke(main, ["audit", str(run), "--against", "exact", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "2 of 3 items with a reference disagree" in result.output
    assert "`iter_01/p1#1`: ours correct, theirs wrong" in result.output
    assert "`iter_01/p2#0`: ours wrong, theirs correct" in result.output


def test_audit_of_a_run_directory_without_problems_says_nothing_was_regraded(tmp_path):
    run = tmp_path / "run"
    write_jsonl(run / "iter_01" / "samples.jsonl", [{"problem_id": "p1", "sample": 0, "completion": "42"}])
    write_jsonl(run / "iter_01" / "verdicts.jsonl", [{"problem_id": "p1", "sample": 0, **Verdict.right().to_dict()}])
    result = CliRunner().invoke(main, ["audit", str(run), "--against", "exact", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "0 of 0 items with a reference disagree" in result.output
    assert "No item carries a reference, so nothing was regraded" in result.output


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


def _one_stage_run(tmp_path, verdict_lines):
    run = tmp_path / "run"
    write_jsonl(run / "iter_01" / "samples.jsonl", [{"problem_id": "p1", "sample": n, "completion": "42"}
                                                    for n in range(2)])
    (run / "iter_01" / "verdicts.jsonl").write_text(verdict_lines)
    return run


def test_a_broken_verdict_line_in_a_run_directory_is_named_by_file_and_line(tmp_path):
    right = json.dumps(Verdict.right().to_dict())
    run = _one_stage_run(tmp_path, right + "\n{\"reward\": 1.0, \n")
    with pytest.raises(InvalidRecordError, match=r"iter_01/verdicts.jsonl:2: not JSON"):
        list(read_graded(run))
    run = _one_stage_run(tmp_path / "b", right + '\n{"reward": "high", "status": "correct"}\n')
    with pytest.raises(InvalidRecordError, match=r"iter_01/verdicts.jsonl:2: not a verdict"):
        list(read_graded(run))


def test_a_stage_with_fewer_verdicts_than_samples_is_an_error_not_a_shorter_audit(tmp_path):
    run = _one_stage_run(tmp_path, json.dumps(Verdict.right().to_dict()) + "\n")
    with pytest.raises(InvalidRecordError, match=r"2 samples but 1 verdicts; an unfinished stage"):
        list(read_graded(run))


def test_an_item_without_an_id_is_named_by_its_line(tmp_path):
    graded = tmp_path / "graded.jsonl"
    graded.write_text(graded_line("a", "4", "4", Verdict.right()) + "\n\n"
                      + json.dumps({"completion": "5", "verdict": Verdict.wrong().to_dict()}) + "\n")
    assert [item.id for item in read_graded(graded)] == ["a", "3"]
