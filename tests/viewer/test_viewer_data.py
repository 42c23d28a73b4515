"""The viewer's model and page, without a browser: what is read, what is flagged, how data is embedded."""

from __future__ import annotations

import base64
import gzip
import json
import re
import sys
import threading
import urllib.request

import pytest
from click.testing import CliRunner

from rest_verify import InvalidRecordError
from rest_train.reports.viewer import data, page, write_view
from rest_train.reports.viewer.cli import make_server, view
from tests.viewer.runs import HOSTILE, make_graded, make_run

KEPT = data.SAMPLE_FIELDS.index("kept")


def embedded(html: str) -> dict:
    payload = re.search(r'<script type="application/octet-stream" id="viewer-data">([^<]*)</script>', html)
    return json.loads(gzip.decompress(base64.b64decode(payload.group(1))))


def test_a_rest_em_run_marks_each_kept_sample_in_its_iteration(tmp_path):
    model = data.load(make_run(tmp_path / "run"))
    kept = {(model["problems"][s[0]][0], s[1], s[9]): s[KEPT] for s in model["samples"] if s[2] == 0}
    assert kept[("p1", 1, HOSTILE)] == [1]
    assert kept[("p2", 2, "3*3 is 9")] == [2]
    assert kept[("p1", 1, "2+2 is 5")] == []
    assert [m["iteration"] for m in model["metrics"]] == [0, 1, 2]
    assert model["status_counts"]["train"]["1"] == {"correct": 2, "wrong": 4}


def test_a_rest_run_flags_kept_samples_the_verifier_rejects_and_rm_high_fresh_samples(tmp_path):
    model = data.load(make_run(tmp_path / "run", "rest"))
    assert model["mode"] == "rest"
    flagged = {(kind, model["samples"][row][9]) for row, kind, _ in model["findings"]}
    assert flagged == {("kept, verifier rejects", "2+2 is 5"), ("reward model high, verifier rejects", "1+1 is 3")}
    rejected_kept = next(s for s in model["samples"] if s[9] == "2+2 is 5")
    assert rejected_kept[KEPT] == [1, 2]  # one Grow dataset, kept by both Improve steps


def test_a_graded_file_gets_a_summary_and_a_breakdown_by_detail(tmp_path):
    model = data.load(make_graded(tmp_path / "graded.jsonl"))
    assert model["summary"]["items"] == 4 and model["summary"]["by_status"]["wrong"] == 2
    assert ["expected 5, got 4", 1] in model["details"]


def test_rewarded_code_with_a_hacking_sign_is_a_finding(tmp_path):
    graded = tmp_path / "graded.jsonl"
    graded.write_text(json.dumps({"id": "x", "completion": "import sys\nprint(1)\nsys.exit(0)", "reference": "{}",
                                  "verdict": {"reward": 1.0, "status": "correct", "detail": ""}}) + "\n")
    assert [kind for _, kind, _ in data.load(graded)["findings"]] == ["hacking sign"]


def test_a_second_verifier_that_judges_otherwise_makes_findings(tmp_path, monkeypatch):
    monkeypatch.setenv("REST_EM_PLUGINS", "rest-em-arith")
    from rest_verify.plugins import reset_registry

    reset_registry()
    graded = tmp_path / "graded.jsonl"
    rows = [("fooled", "Answer: 5", 1.0, "correct"), ("agreed", "Answer: 4", 1.0, "correct"),
            ("missed", "Answer: 4", 0.0, "wrong")]
    graded.write_text("".join(json.dumps({"id": i, "completion": c, "reference": 4,
                                          "verdict": {"reward": r, "status": st, "detail": ""}}) + "\n"
                              for i, c, r, st in rows))
    try:
        findings = data.load(graded, against="arith")["findings"]
    finally:
        reset_registry()
    assert sorted((row, kind) for row, kind, _ in findings) == [(0, "verifier accepts, other refuses"),
                                                                (2, "verifier refuses, other accepts")]


def test_bad_input_names_the_file_and_line(tmp_path):
    graded = tmp_path / "graded.jsonl"
    graded.write_text('{"completion": "x", "verdict": {"reward": 1, "status": "correct"}}\n{"completion": "y"}\n')
    with pytest.raises(InvalidRecordError, match=r"graded.jsonl:2: not a graded line"):
        data.load(graded)
    (tmp_path / "empty").mkdir()
    with pytest.raises(data.ViewerError, match="not a run directory"):
        data.load(tmp_path / "empty")


def test_a_closing_script_tag_in_a_completion_cannot_end_the_data_element(tmp_path):
    html = write_view(make_graded(tmp_path / "graded.jsonl")).read_text()
    assert "pwned" not in html and "onerror" not in html.lower()
    assert embedded(html)["samples"][1][9] == HOSTILE


def test_the_page_allows_only_its_own_script_and_uses_no_markup_sink():
    script = page._static("viewer.js")
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function", script)
    html = page.render({"kind": "graded"})
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "script-src 'sha256-" in policy and "unsafe-inline" not in policy


def test_view_writes_beside_the_input_and_says_where(tmp_path):
    graded = make_graded(tmp_path / "graded.jsonl")
    result = CliRunner().invoke(view, [str(graded)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"viewer: {graded}.html"
    result = CliRunner().invoke(view, [str(make_run(tmp_path / "run")), "-o", str(tmp_path / "out.html")])
    assert result.exit_code == 0 and (tmp_path / "out.html").exists()


def test_serve_answers_on_loopback_with_the_page(tmp_path):
    written = write_view(make_graded(tmp_path / "graded.jsonl"))
    server = make_server(written, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://{host}:{port}/", timeout=10) as response:
            assert response.read() == written.read_bytes()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_the_view_verb_imports_no_torch(tmp_path):
    code = ("import sys; from rest_verify.cli import main\n"
            f"try: main(['view', {str(make_graded(tmp_path / 'g.jsonl'))!r}])\n"
            "except SystemExit as e: assert e.code == 0, e.code\n"
            "assert 'torch' not in sys.modules, 'torch imported'")
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_no_chromium_skips_the_browser_tests_but_fails_them_under_ci(monkeypatch):
    from tests.viewer import browser

    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Chromium"):
        browser.chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        browser.chromium()


def test_a_graded_item_without_an_id_is_named_by_its_line_as_the_audit_names_it(tmp_path):
    graded = tmp_path / "graded.jsonl"
    verdict = {"reward": 1.0, "status": "correct"}
    graded.write_text(json.dumps({"id": "a", "completion": "x", "verdict": verdict}) + "\n\n"
                      + json.dumps({"completion": "y", "verdict": verdict}) + "\n")
    model = data.load(graded)
    assert [problem[0] for problem in model["problems"]] == ["a", "3"]
