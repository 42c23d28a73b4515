import json

from click.testing import CliRunner

from rest_verify.cli import main


def write_lines(path, lines):
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))


def test_grade_writes_input_plus_verdict_in_order_and_reports_malformed_lines(tmp_path):
    source = tmp_path / "in.jsonl"
    write_lines(source, [
        {"id": "a", "completion": "work\n42", "reference": "42"},
        "{not json",
        {"id": "b", "completion": "41", "reference": "42", "meta": {"k": 1}},
        {"id": "c", "reference": "1"},
        {"id": "d", "completion": "Paris", "reference": "paris", "problem": "Capital of France?"},
    ])
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["grade", str(source), "--verifier", "exact", "-o", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row.get("id", row.get("line")) for row in rows] == ["a", 2, "b", 4, "d"]
    assert [row["verdict"]["status"] for row in rows] == ["correct", "invalid_input", "wrong", "invalid_input",
                                                          "correct"]
    assert rows[2]["meta"] == {"k": 1}
    assert "line 2: not valid JSON" in result.output and "line 4: missing 'completion'" in result.output
    assert "accuracy 40.00%" in result.output and "malformed lines: 2" in result.output
    manifest = json.loads((tmp_path / "out.jsonl.manifest.json").read_text())
    assert manifest["verifier"] == "exact" and manifest["summary"]["by_status"]["correct"] == 2
    assert {"distribution": "rest-em", "version": manifest["distribution_version"]} in manifest["plugins"]


def test_strict_stops_at_the_first_malformed_line(tmp_path):
    source = tmp_path / "in.jsonl"
    write_lines(source, [{"completion": "1", "reference": "1"}, "[1, 2]"])
    result = CliRunner().invoke(main, ["grade", str(source), "-v", "exact", "--strict", "-w", "0"])
    assert result.exit_code != 0
    assert "line 2: expected a JSON object, got list" in result.output


def test_unknown_verifier_lists_installed_ones(tmp_path):
    source = tmp_path / "in.jsonl"
    write_lines(source, [{"completion": "1", "reference": "1"}])
    result = CliRunner().invoke(main, ["grade", str(source), "-v", "no-such"])
    assert result.exit_code != 0 and "installed:" in result.output and "exact" in result.output


def test_plugins_lists_builtins_with_distribution():
    result = CliRunner().invoke(main, ["plugins", "--json"])
    rows = json.loads(result.output)
    assert {"kind": "verifier", "name": "exact"}.items() <= next(r for r in rows if r["name"] == "exact").items()
    grade = next(r for r in rows if r["name"] == "grade")
    assert (grade["kind"], grade["distribution"]) == ("command", "rest-em")


def test_check_passes_for_a_conforming_verifier():
    result = CliRunner().invoke(main, ["check", "exact", "--deadline", "5"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output


def test_grade_dash_answers_each_line_of_standard_input_as_it_arrives():
    import selectors
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "from rest_verify.cli import main; main()", "grade", "-",
                                "-v", "exact", "-w", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    try:
        for answer in ("2", "3"):  # the second line is only written once the first has its verdict
            process.stdin.write(json.dumps({"completion": answer, "reference": "2"}) + "\n")
            process.stdin.flush()
            assert selector.select(timeout=30), "no verdict while standard input stays open"
            row = json.loads(process.stdout.readline())
            assert row["completion"] == answer and row["verdict"]["reward"] == (answer == "2")
        process.stdin.close()
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.wait()
