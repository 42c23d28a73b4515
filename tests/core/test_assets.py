"""A reference names a shared file by path and content hash: the hash keys the cache, a changed file is refused."""

from rest_verify import Problem, Status, asset, grade
from rest_verify.cache import cache_key
from sample_verifiers import LineCount


def test_changing_the_files_content_changes_the_cache_key_and_misses_the_cache(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("a\nb\n")
    before = Problem(id="t", reference={"table": asset(table)})
    cache = tmp_path / "verdicts.sqlite"
    assert grade([before], ["2"], LineCount(), workers=1, cache=str(cache))[0].status is Status.CORRECT
    table.write_text("a\nb\nc\n")
    after = Problem(id="t", reference={"table": asset(table)})
    assert cache_key("line-count", "1", before, "2") != cache_key("line-count", "1", after, "2")
    assert grade([after], ["2"], LineCount(), workers=1, cache=str(cache))[0].status is Status.WRONG


def test_a_file_that_no_longer_matches_its_hash_is_an_invalid_input_verdict(tmp_path):
    table = tmp_path / "table.csv"
    table.write_text("a\nb\n")
    problem = Problem(id="t", reference={"table": asset(table)})
    table.write_text("tampered\n")
    for workers in (0, 1):
        verdict = grade([problem], ["2"], LineCount(), workers=workers)[0]
        assert verdict.status is Status.INVALID_INPUT and "changed: its sha256 is" in verdict.detail
    missing = Problem(id="m", reference={"table": {"path": str(tmp_path / "gone"), "sha256": "0" * 64}})
    assert grade([missing], ["2"], LineCount(), workers=0)[0].status is Status.INVALID_INPUT
    malformed = Problem(id="x", reference={"table": "table.csv"})
    assert "an asset must be" in grade([malformed], ["2"], LineCount(), workers=0)[0].detail
