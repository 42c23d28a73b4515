"""Reading problem files: JSONL, JSON, parquet, a folder of JSON files or a data set by name, one `Record` per row.

A core service, so that every domain plugin's task reads files the same way and a bad row is reported
the same way: by file and line (JSONL) or row (JSON arrays, parquet, data sets). Parquet and named data
sets (`hf://openai/gsm8k?name=main&split=test`) go through `datasets`, an optional dependency imported
only when one is read: grading installs stay light.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Iterator, Mapping
from urllib.parse import parse_qsl, urlencode

from rest_verify.errors import InvalidRecordError, RestEmError, first_line


HUB_SCHEME = "hf://"
_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")  # `gsm8k` or `openai/gsm8k`, as the hub spells ids


def is_hub_id(text: str) -> bool:
    """Whether `text` reads as a hub repository id (`owner/name`) rather than a file path."""
    return _HUB_ID.fullmatch(text) is not None and ".." not in text


@dataclass(frozen=True)
class HubDataset:
    """A data set `datasets.load_dataset` reads by name, written `hf://REPO?name=..&split=..&revision=..`.

    REPO is a hub id (`openai/gsm8k`) or a local folder in the hub's layout (`hf:///data/gsm8k`, parquet
    files under `data/<split>-*.parquet`): both take the very same `load_dataset` call, so a test on a
    local folder runs the path a hub run takes. `streaming` reads rows as they arrive instead of
    downloading the split first (what a check that wants three rows needs).
    """

    repo: str
    name: str | None = None
    split: str = "train"
    revision: str | None = None
    streaming: bool = False

    @classmethod
    def parse(cls, url: str) -> "HubDataset":
        repo, _, query = url[len(HUB_SCHEME):].partition("?")
        known = {item.name for item in fields(cls)} - {"repo"}
        options: dict[str, Any] = {}
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key not in known:
                raise InvalidRecordError(f"{url}: unknown option {key!r} (known: {', '.join(sorted(known))})")
            options[key] = value in ("1", "true") if key == "streaming" else value
        if not repo:
            raise InvalidRecordError(f"{url}: names no data set (hf://owner/name)")
        return cls(repo, **options)

    def url(self) -> str:
        options = {"name": self.name, "split": self.split, "revision": self.revision,
                   "streaming": "1" if self.streaming else None}
        query = urlencode({key: value for key, value in options.items() if value is not None})
        return f"{HUB_SCHEME}{self.repo}?{query}"

    @property
    def on_hub(self) -> bool:
        """False for a local dataset folder, which needs no network."""
        return is_hub_id(self.repo)

    def __str__(self) -> str:
        details = ", ".join(part for part in (self.name, f"split {self.split}",
                                              self.revision and f"revision {self.revision}") if part)
        return f"{HUB_SCHEME}{self.repo} ({details})"


@dataclass(frozen=True)
class Record:
    """One row of a problem file and where it came from, so an error can point at it."""

    source: Path | HubDataset
    index: int  # 1-based: the line of a JSONL file, the row of a JSON array or parquet file; 0: a whole file
    row: dict[str, Any]
    table: bool = False  # counted in rows (JSON array, parquet) rather than lines

    @property
    def where(self) -> str:
        """`file:line` for JSONL (what editors jump to), `file:row N` for tables, the file for a JSON tree."""
        if self.index == 0:
            return str(self.source)
        return f"{self.source}:{'row ' if self.table else ''}{self.index}"

    @property
    def default_id(self) -> str:
        """A stable id for rows that carry none; a JSON-tree file keeps MATH's `<split>/<subject>/<n>.json`."""
        if isinstance(self.source, HubDataset):  # `test/17`, as the JSONL export `test.jsonl` numbers it
            return f"{self.source.split}/{self.index}"
        if self.index == 0:
            return "/".join(self.source.parts[-3:])
        return f"{self.source.stem}/{self.index}"


def read_records(path: str | Path) -> Iterator[Record]:
    """Every row of a problem file or folder, whatever the layout, or an error naming file and row.

    A folder is a tree of one-object JSON files (the original MATH release, `<split>/<subject>/<n>.json`);
    `.json` is one object, an array of them or JSON Lines; `.parquet` (Hugging Face exports) is read with
    `datasets`; anything else is JSONL. JSON is parsed with the standard library on purpose: `datasets`'
    JSON reader rounds some floats (0.3 became 0.30000000000000004) and reports bad rows without their line.
    An `hf://` path is a data set by name (see `HubDataset`), one split of it.
    """
    if isinstance(path, str) and path.startswith(HUB_SCHEME):
        yield from _hub(HubDataset.parse(path))
        return
    path = Path(path)
    if path.is_dir():
        yield from _json_tree(path)
    elif not path.is_file():
        raise InvalidRecordError(f"problem file {path} does not exist")
    elif path.suffix == ".parquet":
        yield from _parquet(path)
    elif path.suffix == ".json":
        yield from _json_file(path)
    else:
        yield from read_jsonl(path)


def read_jsonl(path: str | Path, *, errors: str = "strict") -> Iterator[Record]:
    """The objects of a JSON Lines file with their line numbers; an InvalidRecordError names file and line.

    Lines are decoded one by one, so an encoding error is reported on its own line. A problem file must be
    UTF-8 (the default refuses other bytes); `errors="surrogateescape"` reads what `rest-em grade` writes, which
    keeps undecodable bytes of its input as they came.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                where = f"{path}:{number}"
                try:
                    line = raw.decode("utf-8", errors)
                except UnicodeDecodeError as exc:
                    raise InvalidRecordError(f"{where}: not UTF-8 text ({exc.reason})") from None
                if line.strip():
                    yield Record(path, number, _object(_parse(line, where), where))
    except OSError as exc:
        raise InvalidRecordError(f"cannot read {path}: {exc.strerror or exc}") from None


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecordError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InvalidRecordError(f"cannot read {path}: {exc.strerror or exc}") from None


def _json_file(path: Path) -> Iterator[Record]:
    text = _text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # JSON Lines saved as .json, which Hugging Face's loader accepts too
            yield from read_jsonl(path)
            return
        data = _parse(text, str(path))
    if isinstance(data, list):
        for number, row in enumerate(data, start=1):
            yield Record(path, number, _object(row, f"{path}:row {number}"), table=True)
    else:
        yield Record(path, 0, _object(data, str(path)))


def _json_tree(root: Path) -> Iterator[Record]:
    splits = sorted(child.name for child in root.iterdir() if child.is_dir() and child.name in ("train", "test"))
    if len(splits) > 1:
        raise InvalidRecordError(f"{root} holds the splits {', '.join(splits)}: load one of them, not both")
    files = sorted(root.rglob("*.json"), key=lambda file: (file.parent, _number_first(file.stem)))
    if not files:
        raise InvalidRecordError(f"folder {root} has no .json problem files")
    for file in files:
        data = _parse(_text(file), str(file))
        yield Record(file, 0, _object(data, str(file)))


def _datasets(what: object) -> Any:
    try:
        import datasets  # heavy: imported only when a parquet file or a named data set is actually read
    except ImportError:
        raise RestEmError(f"reading {what} needs the `datasets` package: pip install datasets") from None
    return datasets


def _parquet(path: Path) -> Iterator[Record]:
    datasets = _datasets(path)
    # Streaming reads the file in place; the builder's lock file goes to a scratch folder, not ~/.cache.
    try:
        with tempfile.TemporaryDirectory(prefix="rest-em-parquet-") as scratch:
            rows = iter(datasets.load_dataset("parquet", data_files=str(path), split="train",
                                              streaming=True, cache_dir=scratch))
    except Exception as exc:  # pyarrow and datasets raise many types for an unreadable file
        raise InvalidRecordError(f"{path}: not a readable parquet file ({exc})") from None
    yield from _table(path, rows)


def _hub(source: HubDataset) -> Iterator[Record]:
    """One split of a data set, downloaded into (or read from) the Hugging Face cache, or streamed.

    Each hub request is bounded by huggingface_hub's own timeouts (HF_HUB_ETAG_TIMEOUT,
    HF_HUB_DOWNLOAD_TIMEOUT); with HF_HUB_OFFLINE=1 only a cached copy is read.
    """
    datasets = _datasets(source)
    try:
        rows = datasets.load_dataset(source.repo, source.name, split=source.split, revision=source.revision,
                                     streaming=source.streaming)
    except Exception as exc:  # datasets raises many types: a missing data set, split or config, no network
        raise InvalidRecordError(f"{source}: cannot be loaded ({first_line(exc)})") from None
    yield from _table(source, iter(rows))


def _table(source: Path | HubDataset, rows: Iterator[Mapping[str, Any]]) -> Iterator[Record]:
    """Rows counted from 1; a corrupt row group surfaces only while iterating, so it is reported by row."""
    number = 0
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as exc:
            raise InvalidRecordError(f"{source}:row {number + 1}: unreadable ({exc})") from None
        number += 1
        yield Record(source, number, _object(row, f"{source}:row {number}"), table=True)


def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRecordError(f"{where}: not JSON ({exc.msg})") from None
    except RecursionError:
        raise InvalidRecordError(f"{where}: not JSON (nested too deeply)") from None


def _object(row: Any, where: str) -> dict[str, Any]:
    if not isinstance(row, Mapping):
        raise InvalidRecordError(f"{where}: expected a JSON object, got {type(row).__name__}")
    return dict(row)


def _number_first(stem: str) -> tuple[int, str]:
    """Sort `2.json` before `10.json`, as MATH numbers its files."""
    return (int(stem), "") if stem.isdigit() else (1 << 62, stem)
