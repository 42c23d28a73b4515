"""Reading problem files in the core: every layout, and every bad file named down to its line or row."""

from __future__ import annotations

import json
import sys

import pyarrow
import pyarrow.parquet as pyarrow_parquet
import pytest

from rest_verify.errors import InvalidRecordError, RestEmError
from rest_verify.records import HubDataset, is_hub_id, read_records
from rest_verify.testing.datasets import hub_dataset_folder


def rows_and_places(path):
    return [(record.row, record.where, record.default_id) for record in read_records(path)]


def test_jsonl_rows_are_numbered_by_line_and_blank_lines_skipped(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n')
    assert rows_and_places(path) == [({"a": 1}, f"{path}:1", "items/1"), ({"a": 2}, f"{path}:3", "items/3")]


def test_json_file_is_an_object_an_array_or_json_lines(tmp_path):
    single = tmp_path / "one.json"
    single.write_text('{"a": 1}')
    assert rows_and_places(single) == [({"a": 1}, str(single), "/".join(single.parts[-3:]))]
    array = tmp_path / "rows.json"
    array.write_text(json.dumps([{"a": 1}, {"a": 2}]))
    assert [where for _, where, _ in rows_and_places(array)] == [f"{array}:row 1", f"{array}:row 2"]
    lines = tmp_path / "lines.json"
    lines.write_text('{"a": 1}\n{"a": 2}\n')
    assert [where for _, where, _ in rows_and_places(lines)] == [f"{lines}:1", f"{lines}:2"]


def test_folder_of_json_files_is_read_in_numeric_order(tmp_path):
    subject = tmp_path / "test" / "algebra"
    subject.mkdir(parents=True)
    for number in (10, 2, 1):
        (subject / f"{number}.json").write_text(json.dumps({"n": number}))
    assert [record.row["n"] for record in read_records(tmp_path / "test")] == [1, 2, 10]
    assert next(iter(read_records(tmp_path / "test"))).default_id == "test/algebra/1.json"


@pytest.mark.parametrize("content, message", [
    (b'{"a": 1}\n{"a": \n', r"bad.jsonl:2: not JSON"),
    (b'{"a": 1}\n[1, 2]\n', r"bad.jsonl:2: expected a JSON object, got list"),
    (b'{"a": 1}\n{"a": "\xff"}\n', r"bad.jsonl:2: not UTF-8 text"),
    (b"[" * 100_000, r"bad.jsonl:1: not JSON"),
])
def test_bad_rows_are_named_by_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(InvalidRecordError, match=message):
        list(read_records(path))


def test_missing_and_unreadable_files_are_invalid_records(tmp_path):
    with pytest.raises(InvalidRecordError, match="missing.jsonl does not exist"):
        list(read_records(tmp_path / "missing.jsonl"))
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(InvalidRecordError, match="binary.json: not UTF-8 text"):
        list(read_records(binary))


def test_parquet_rows_are_numbered(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    path = tmp_path / "table.parquet"
    pyarrow_parquet.write_table(pyarrow.Table.from_pylist([{"a": 1}, {"a": 2}]), path)
    assert [(record.row, record.where) for record in read_records(path)] == [
        ({"a": 1}, f"{path}:row 1"), ({"a": 2}, f"{path}:row 2")]


def test_parquet_without_datasets_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)  # what an install without `datasets` sees
    path = tmp_path / "table.parquet"
    pyarrow_parquet.write_table(pyarrow.Table.from_pylist([{"a": 1}]), path)
    with pytest.raises(RestEmError, match=r"^reading .*table.parquet needs the `datasets` package: pip install datasets$"):
        list(read_records(path))


def test_a_data_set_by_name_reads_one_split_of_one_config_and_names_its_rows(offline_datasets):
    root = hub_dataset_folder(offline_datasets / "gsm8k", {"train": [{"q": "a"}, {"q": "b"}], "test": [{"q": "c"}]}, "main")
    url = HubDataset(str(root), name="main", split="train").url()
    assert url == f"hf://{root}?name=main&split=train"
    where = f"hf://{root} (main, split train)"
    assert rows_and_places(url) == [({"q": "a"}, f"{where}:row 1", "train/1"), ({"q": "b"}, f"{where}:row 2", "train/2")]
    streamed = HubDataset(str(root), name="main", split="test", streaming=True).url()
    assert rows_and_places(streamed) == [({"q": "c"}, f"hf://{root} (main, split test):row 1", "test/1")]


def test_a_data_set_that_cannot_be_read_is_one_line_naming_it(offline_datasets, monkeypatch):
    root = hub_dataset_folder(offline_datasets / "plain", {"train": [{"q": "a"}]})
    with pytest.raises(InvalidRecordError, match=r"\(split valid\): cannot be loaded \(Unknown split"):
        list(read_records(HubDataset(str(root), split="valid").url()))
    with pytest.raises(InvalidRecordError, match="unknown option 'spilt'"):
        list(read_records(f"hf://{root}?spilt=train"))
    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(RestEmError, match="needs the `datasets` package: pip install datasets"):
        list(read_records(f"hf://{root}"))


def test_hub_ids_are_told_from_paths():
    assert is_hub_id("openai/gsm8k") and is_hub_id("gsm8k") and is_hub_id("Qwen/Qwen2.5-Math-1.5B")
    assert not any(map(is_hub_id, ["/data/gsm8k", "./gsm8k", "../x/y", "a/b/c", "a/../b"]))
