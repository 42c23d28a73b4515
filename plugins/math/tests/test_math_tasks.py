"""The MATH and GSM8K tasks on real rows copied from the public data sets, in every layout they read."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow
import pyarrow.parquet as pyarrow_parquet
import pytest

from rest_em_math.tasks import Gsm8kJsonlTask, MathJsonlTask
from rest_em_math.verifier import GSM8KVerifier, MathVerifier
from rest_verify.errors import InvalidRecordError
from rest_verify.records import HubDataset
from rest_verify.testing.datasets import hub_dataset_folder

FIXTURES = Path(__file__).parent / "fixtures" / "tasks"


def test_math500_rows_use_their_answer_field():
    problems = list(MathJsonlTask().load(FIXTURES / "math500_sample.jsonl"))
    assert [p.reference for p in problems] == ["\\frac{14}{3}", "2220", "-50", "6+9i", "52_8"]
    assert problems[0].id == "test/algebra/2584.json"
    assert problems[0].domain == "math" and "\\boxed" in problems[0].meta["solution"]


def test_math_test_rows_take_the_answer_the_verifier_reads_from_the_solution_and_exclude_math500():
    task = MathJsonlTask()
    everything = list(task.load(FIXTURES / "math_test_sample.jsonl"))
    assert len(everything) == 5
    for problem in everything:
        verdict = MathVerifier().verify(problem, problem.meta["solution"])
        assert verdict.correct and verdict.info["answer"] == problem.reference
    assert everything[0].reference == "6+9i"
    kept = list(task.load(FIXTURES / "math_test_sample.jsonl", exclude="math500_sample.jsonl"))
    assert len(kept) == 3
    held_out = {p.prompt for p in task.load(FIXTURES / "math500_sample.jsonl")}
    assert not held_out & {p.prompt for p in kept}


def test_math_prompt_is_few_shot_and_ends_where_the_solution_starts():
    task = MathJsonlTask()
    problem = next(iter(task.load(FIXTURES / "math500_sample.jsonl")))
    prompt = task.format_prompt(problem)
    assert prompt.count("Problem:") == 5 and prompt.endswith(problem.prompt + "\n\nSolution:\n")
    assert task.verifier == "math" and task.stop == ("\n\nProblem:",)


def test_gsm8k_reference_is_the_number_after_the_hashes():
    problems = list(Gsm8kJsonlTask().load(FIXTURES / "gsm8k_sample.jsonl"))
    assert [p.reference for p in problems] == ["18", "3", "70000"]
    assert "<<" not in problems[0].meta["solution"]
    assert Gsm8kJsonlTask().format_prompt(problems[0]).endswith("\n\nAnswer:\n")


def test_each_data_set_is_graded_by_one_verifier_that_accepts_its_own_solutions():
    assert (MathJsonlTask.verifier, Gsm8kJsonlTask.verifier) == ("math", "gsm8k")
    for problem in Gsm8kJsonlTask().load(FIXTURES / "gsm8k_sample.jsonl"):
        worked = f"{problem.meta['solution']}\n#### {int(problem.reference):,}"
        assert GSM8KVerifier().verify(problem, worked).correct


@pytest.mark.parametrize("line, message", [
    ("not json", "not JSON"),
    ('["a list"]', "JSON object"),
    ('{"solution": "x"}', "'problem'"),
    ('{"problem": "p", "solution": "no box"}', "no 'answer'"),
])
def test_bad_math_rows_name_the_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"problem": "p", "answer": "1"}\n' + line + "\n")
    with pytest.raises(InvalidRecordError, match=f"bad.jsonl:2: .*{message}"):
        list(MathJsonlTask().load(path))


def test_bad_gsm8k_rows_and_missing_files_are_errors(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"question": "q", "answer": "no hashes"}\n')
    with pytest.raises(InvalidRecordError, match="#### N"):
        list(Gsm8kJsonlTask().load(path))
    with pytest.raises(InvalidRecordError, match="does not exist"):
        list(Gsm8kJsonlTask().load(tmp_path / "missing.jsonl"))


def test_math_folder_tree_reads_one_split_in_numeric_order():
    problems = list(MathJsonlTask().load(FIXTURES / "math_tree" / "test"))
    assert [p.id for p in problems] == ["test/algebra/1098.json", "test/algebra/2584.json",
                                        "test/intermediate_algebra/134.json", "test/number_theory/864.json",
                                        "test/number_theory/1032.json"]
    flat = {p.id: p for p in MathJsonlTask().load(FIXTURES / "math500_sample.jsonl")}
    for problem in problems:
        assert problem.prompt == flat[problem.id].prompt and problem.reference == flat[problem.id].reference
    assert problems[0].meta["level"] == "Level 3" and problems[0].meta["subject"] == "Algebra"


def test_math_folder_tree_can_exclude_a_jsonl_file():
    kept = list(MathJsonlTask().load(FIXTURES / "math_tree" / "test", exclude="../math500_sample.jsonl"))
    assert kept == []


def test_math_folder_refuses_mixed_splits_and_empty_folders(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "test").mkdir()
    with pytest.raises(InvalidRecordError, match="load one of them"):
        list(MathJsonlTask().load(tmp_path))
    with pytest.raises(InvalidRecordError, match="no .json problem files"):
        list(MathJsonlTask().load(tmp_path / "train"))


@pytest.mark.parametrize("text, message", [
    ("{broken", "not JSON"),
    ('["a list"]', "expected a JSON object, got list"),
    ('{"solution": "\\\\boxed{1}"}', "needs a 'problem' string"),
])
def test_bad_file_in_a_math_tree_is_named(tmp_path, text, message):
    subject = tmp_path / "test" / "algebra"
    subject.mkdir(parents=True)
    (subject / "1.json").write_text('{"problem": "p", "solution": "\\\\boxed{2}"}')
    (subject / "2.json").write_text(text)
    with pytest.raises(InvalidRecordError, match=f"algebra/2.json.*{message}"):
        list(MathJsonlTask().load(tmp_path / "test"))


def test_json_array_rows_are_numbered(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([{"question": "q", "answer": "#### 1,000"}, {"question": "q"}]))
    with pytest.raises(InvalidRecordError, match="rows.json:row 2: a GSM8K row"):
        list(Gsm8kJsonlTask().load(path))
    path.write_text(json.dumps([{"question": "q", "answer": "#### 1,000"}]))
    assert [(p.id, p.reference) for p in Gsm8kJsonlTask().load(path)] == [("rows/1", "1000")]


def test_parquet_is_read_through_datasets(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    rows = [json.loads(line) for line in (FIXTURES / "math500_sample.jsonl").read_text().splitlines()]
    path = tmp_path / "math500.parquet"
    pyarrow_parquet.write_table(pyarrow.Table.from_pylist(rows), path)
    problems = list(MathJsonlTask().load(path))
    assert problems == list(MathJsonlTask().load(FIXTURES / "math500_sample.jsonl"))
    rows[3]["problem"] = None
    pyarrow_parquet.write_table(pyarrow.Table.from_pylist(rows), path)
    with pytest.raises(InvalidRecordError, match="math500.parquet:row 4: a MATH row needs a 'problem'"):
        list(MathJsonlTask().load(path))
    assert sorted(item.name for item in tmp_path.iterdir()) == ["math500.parquet"]


def test_unreadable_parquet_is_an_invalid_record(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(InvalidRecordError, match="broken.parquet: not a readable parquet file"):
        list(MathJsonlTask().load(path))


def test_json_lines_saved_as_json_are_read_line_by_line(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text((FIXTURES / "gsm8k_sample.jsonl").read_text() + '{"question": "q"}\n')
    with pytest.raises(InvalidRecordError, match="lines.json:4: a GSM8K row"):
        list(Gsm8kJsonlTask().load(path))
    path.write_text((FIXTURES / "gsm8k_sample.jsonl").read_text())
    assert [p.reference for p in Gsm8kJsonlTask().load(path)] == ["18", "3", "70000"]


def test_the_hub_layouts_of_math500_and_gsm8k_load_as_their_files_do(offline_datasets):
    math500 = [json.loads(line) for line in (FIXTURES / "math500_sample.jsonl").read_text().splitlines()]
    folder = hub_dataset_folder(offline_datasets / "MATH-500", {"test": math500})
    assert (list(MathJsonlTask().load(HubDataset(str(folder), split="test").url()))
            == list(MathJsonlTask().load(FIXTURES / "math500_sample.jsonl")))
    gsm8k = [json.loads(line) for line in (FIXTURES / "gsm8k_sample.jsonl").read_text().splitlines()]
    folder = hub_dataset_folder(offline_datasets / "gsm8k", {"train": gsm8k[:1], "test": gsm8k}, config="main")
    problems = list(Gsm8kJsonlTask().load(HubDataset(str(folder), name="main", split="test").url()))
    assert [(p.id, p.reference) for p in problems] == [("test/1", "18"), ("test/2", "3"), ("test/3", "70000")]
    assert [p.meta for p in problems] == [p.meta for p in Gsm8kJsonlTask().load(FIXTURES / "gsm8k_sample.jsonl")]


def test_a_data_set_without_the_task_column_is_one_line_naming_column_and_data_set(offline_datasets):
    folder = hub_dataset_folder(offline_datasets / "other", {"train": [{"question": "1+1?", "answer": "2"}]})
    with pytest.raises(InvalidRecordError, match=rf"hf://{folder} \(split train\):row 1: a MATH row needs a 'problem'"):
        list(MathJsonlTask().load(f"hf://{folder}?split=train"))
    with pytest.raises(InvalidRecordError, match="relative path has no folder"):
        list(MathJsonlTask().load(f"hf://{folder}", exclude="math500.jsonl"))
