"""Data sets in the Hugging Face hub's layout, written locally, so a task's hub path is tested offline.

`read_records("hf://<folder>?name=main&split=test")` reads such a folder with the very call that reads
`hf://openai/gsm8k` from the hub: a test of a task on it runs the path a real run takes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence


def hub_dataset_folder(root: Path, splits: Mapping[str, Sequence[Mapping[str, Any]]],
                       config: str | None = None) -> Path:
    """`root` holding one parquet file per split (`data/<split>-00000-of-00001.parquet`), or with `config`
    under `<config>/` and a README declaring it, as openai/gsm8k's `main` is declared on the hub."""
    import pyarrow
    import pyarrow.parquet

    folder = root / (config or "data")
    folder.mkdir(parents=True, exist_ok=True)
    for split, rows in splits.items():
        pyarrow.parquet.write_table(pyarrow.Table.from_pylist(list(rows)), folder / f"{split}-00000-of-00001.parquet")
    if config:
        files = "".join(f"  - split: {split}\n    path: {config}/{split}-*\n" for split in splits)
        (root / "README.md").write_text(f"---\nconfigs:\n- config_name: {config}\n  data_files:\n{files}---\n")
    return root
