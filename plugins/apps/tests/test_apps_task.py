"""The `apps` task: APPS / CodeContests rows from JSONL, JSON and parquet, prompts, and bad rows."""

from __future__ import annotations

import json

import pytest

pyarrow = pytest.importorskip("pyarrow", reason="parquet tests need pyarrow (installed with rest-em[train])")
import pyarrow.parquet as pyarrow_parquet  # noqa: E402

from apps_testdata import FIXTURES, rows
from rest_em_apps import AppsVerifier, parse_reference
from rest_em_apps.task import AppsTask
from rest_verify.errors import InvalidRecordError
from rest_verify.testing.datasets import hub_dataset_folder
from rest_verify.plugins import PINNING_VARIABLE, get_task, get_verifier, reset_registry
from rest_verify.types import Status

STDIN_ROW = {"problem_id": 7, "question": "Read a and b; print a + b.", "difficulty": "introductory",
             "input_output": {"inputs": [["1 2"], "5 5\n"], "outputs": ["3", "10\n"]}}
CODECONTESTS_ROW = {"name": "1_A. Double", "description": "Read n; print 2n.", "difficulty": 7,
                    "public_tests": {"input": ["2\n"], "output": ["4\n"]},
                    "private_tests": {"input": ["5\n"], "output": ["10\n"]},
                    "generated_tests": {"input": [], "output": []}}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Parquet goes through `datasets`, which must never reach for the network in a test."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")


def test_humaneval_rows_load_with_their_call_based_tests():
    source = rows("humaneval_apps.jsonl")
    problems = list(AppsTask().load(FIXTURES / "humaneval_apps.jsonl"))
    assert [p.id for p in problems] == [row["problem_id"] for row in source]
    for problem, row in zip(problems, source):
        assert problem.reference == json.loads(row["input_output"]) and problem.domain == "code"
        assert parse_reference(problem.reference) == parse_reference(row)
        assert problem.meta["fn_name"] == problem.reference["fn_name"]
        assert problem.meta["difficulty"] == row["difficulty"]


def test_call_based_prompt_names_the_function_once_and_opens_the_code_block():
    task = AppsTask()
    problem = next(iter(task.load(FIXTURES / "humaneval_apps.jsonl")))
    prompt = task.format_prompt(problem)
    fn_name = problem.meta["fn_name"]
    assert f"Complete the function `{fn_name}`" in prompt and "standard input" not in prompt
    assert prompt.count(f"def {fn_name}(") == 1  # HumanEval's question is its starter code: shown once
    assert prompt.startswith("QUESTION:\n") and prompt.endswith("ANSWER:\n```python\n")
    assert task.name == "apps" and task.verifier == "apps" and "\n```" in task.stop


def test_stdin_prompt_shows_separate_starter_code(tmp_path):
    path = tmp_path / "apps.jsonl"
    path.write_text(json.dumps({**STDIN_ROW, "starter_code": "import sys\n"}) + "\n")
    task = AppsTask()
    [problem] = task.load(path)
    prompt = task.format_prompt(problem)
    assert "reads from standard input and writes to standard output" in prompt
    assert "Starter code:\n```python\nimport sys\n```" in prompt and "Complete the function" not in prompt


def test_completion_after_the_prompt_is_graded_as_the_program():
    """The prompt opens the fence and `stop` cuts the closing one: the bare program must grade correct."""
    task = AppsTask()
    source = rows("humaneval_apps.jsonl")[:2]
    problems = list(task.load(FIXTURES / "humaneval_apps.jsonl"))[:2]
    verifier = AppsVerifier(sandbox="process", time_limit=4.0)
    try:
        for problem, row in zip(problems, source):
            completion = json.loads(row["solutions"])[0] + "\n```\nThat is all."
            completion = completion[:min(completion.find(stop) for stop in task.stop if stop in completion)]
            verdict = verifier.verify(problem, completion)
            assert verdict.status is Status.CORRECT, verdict.detail
    finally:
        verifier.close()


def test_stdin_rows_are_normalised_and_ids_kept(tmp_path):
    path = tmp_path / "apps.json"
    path.write_text(json.dumps([STDIN_ROW, {**STDIN_ROW, "problem_id": None}]))
    first, second = AppsTask().load(path)
    assert first.id == "7" and second.id == "apps/2"
    assert first.reference == {"inputs": ["1 2", "5 5\n"], "outputs": ["3", "10\n"]}
    assert first.meta == {"starter_code": "", "fn_name": None, "difficulty": "introductory", "language": "python"}


def test_codecontests_parquet_merges_the_test_splits(tmp_path):
    path = tmp_path / "code_contests.parquet"
    pyarrow_parquet.write_table(pyarrow.Table.from_pylist([CODECONTESTS_ROW]), path)
    [problem] = AppsTask().load(path)
    assert problem.id == "1_A. Double" and problem.prompt == "Read n; print 2n."
    assert problem.reference == {"inputs": ["2\n", "5\n"], "outputs": ["4\n", "10\n"]}
    assert problem.meta["difficulty"] == 7
    assert sorted(item.name for item in tmp_path.iterdir()) == ["code_contests.parquet"]


@pytest.mark.parametrize("line, message", [
    ("{not json", "not JSON"),
    ('{"problem_id": 1, "input_output": {"inputs": ["1"], "outputs": ["1"]}}', "needs a 'question'"),
    ('{"question": "q", "input_output": "{\\"inputs\\": [\\"1\\"]"}', "not valid JSON"),
    ('{"question": "q", "input_output": {"inputs": ["1", "2"], "outputs": ["1"]}}', "2 inputs but 1 outputs"),
    ('{"question": "q", "input_output": {"inputs": [1], "outputs": [1], "fn_name": "no good"}}', "identifier"),
    ('{"question": "q"}', "has no tests"),
    ('{"question": "q", "starter_code": 3, "input_output": {"inputs": ["1"], "outputs": ["1"]}}', "must be text"),
])
def test_bad_rows_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(STDIN_ROW) + "\n" + line + "\n")
    with pytest.raises(InvalidRecordError, match=f"bad.jsonl:2: .*{message}"):
        list(AppsTask().load(path))


def test_bad_parquet_row_is_named_by_row(tmp_path):
    path = tmp_path / "apps.parquet"
    table = [{"problem_id": "a", "question": "q", "input_output": json.dumps(STDIN_ROW["input_output"])},
             {"problem_id": "b", "question": "q", "input_output": "[]"}]
    pyarrow_parquet.write_table(pyarrow.Table.from_pylist(table), path)
    with pytest.raises(InvalidRecordError, match="apps.parquet:row 2: .*must be a JSON object"):
        list(AppsTask().load(path))


def test_missing_file_is_an_invalid_record(tmp_path):
    with pytest.raises(InvalidRecordError, match="does not exist"):
        list(AppsTask().load(tmp_path / "absent.jsonl"))


def test_registered_through_the_entry_point(monkeypatch):
    monkeypatch.setenv(PINNING_VARIABLE, "rest-em-apps")
    reset_registry()
    try:
        task = get_task("apps")
        assert isinstance(task, AppsTask) and isinstance(get_verifier(task.verifier), AppsVerifier)
    finally:
        reset_registry()  # reloaded lazily, after monkeypatch has restored the environment


def test_codecontests_rows_load_for_cpp_with_every_split_and_their_limits():
    source = rows("codecontests_cpp.jsonl")
    task = get_task("apps-cpp")
    problems = list(task.load(FIXTURES / "codecontests_cpp.jsonl"))
    assert [p.id for p in problems] == [row["name"] for row in source]
    for problem, row in zip(problems, source):
        splits = [row[split] for split in ("public_tests", "private_tests", "generated_tests")]
        assert problem.reference["inputs"] == [given for split in splits for given in split["input"]]
        assert problem.reference["outputs"] == [wanted for split in splits for wanted in split["output"]]
        assert problem.meta["language"] == "cpp" and problem.meta["memory_limit_mb"] == 256
    assert problems[1].meta["time_limit_seconds"] == 2.5
    prompt = task.format_prompt(problems[0])
    assert prompt.endswith("ANSWER:\n```cpp\n") and "single ```cpp code block" in prompt


def test_a_call_based_row_cannot_be_a_cpp_problem(tmp_path):
    path = tmp_path / "call.jsonl"
    path.write_text(json.dumps({"problem_id": 1, "question": "f", "input_output": {
        "fn_name": "f", "inputs": [[1]], "outputs": [1]}}) + "\n")
    with pytest.raises(InvalidRecordError, match=r"call\.jsonl:1: a call-based problem \(fn_name\) cannot be "
                                                 r"answered in cpp"):
        list(AppsTask(name="apps-cpp", language="cpp").load(path))


def test_the_hub_layouts_of_apps_and_code_contests_load(tmp_path, monkeypatch):
    """codeparrot/apps keeps `input_output` and `solutions` as JSON text and `problem_id` as a number;
    deepmind/code_contests keeps its tests as {input, output} lists and its limits as structs."""
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    apps_row = {**STDIN_ROW, "input_output": json.dumps(STDIN_ROW["input_output"]), "solutions": json.dumps(["print(3)"]),
                "url": "https://codeforces.com/problemset/problem/1/A", "starter_code": ""}
    apps = hub_dataset_folder(tmp_path / "apps", {"test": [apps_row]})
    [problem] = AppsTask().load(f"hf://{apps}?split=test")
    assert problem.id == "7" and problem.reference == {"inputs": ["1 2", "5 5\n"], "outputs": ["3", "10\n"]}
    contest_row = {**CODECONTESTS_ROW, "time_limit": {"seconds": 2, "nanos": 500000000},
                   "memory_limit_bytes": 256 << 20, "cf_tags": ["math"]}
    contests = hub_dataset_folder(tmp_path / "code_contests", {"valid": [contest_row]})
    [problem] = AppsTask(language="cpp").load(f"hf://{contests}?split=valid")
    assert problem.id == "1_A. Double" and problem.reference == {"inputs": ["2\n", "5\n"], "outputs": ["4\n", "10\n"]}
    assert problem.meta["time_limit_seconds"] == 2.5 and problem.meta["memory_limit_mb"] == 256
