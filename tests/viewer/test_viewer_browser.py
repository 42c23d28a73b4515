"""The viewer in headless Chromium: curves drawn, filters narrow the list, hostile text stays text.

Each test dumps the DOM after the page's script ran (filters set through the URL hash, as a link
would) and saves a screenshot under its tmp_path. Skipped without Chromium, never under CI=true.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from rest_train.reports.viewer import write_view
from tests.viewer.browser import dump_dom, screenshot
from tests.viewer.runs import HOSTILE, make_graded, make_run

pytestmark = pytest.mark.slow


def ready(dom: str) -> str:
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-ready="true"' in body, f"the page did not finish rendering: {body}"
    return dom


def matches(dom: str) -> int:
    return int(re.search(r'data-matches="(\d+)"', dom).group(1))


def statuses_shown(dom: str) -> set[str]:
    return set(re.findall(r'<span class="badge status-(\w+)"', dom))


def assert_hostile_shown_as_text(dom: str) -> None:
    assert "<title>rest-em viewer</title>" in dom  # the completion's scripts never set document.title
    assert html.escape(HOSTILE, quote=False) in dom
    assert not re.search(r"<img[\s>]|<a [^>]*href=\"javascript:", dom)  # no element made of it


@pytest.fixture
def run_page(tmp_path: Path) -> Path:
    return write_view(make_run(tmp_path / "run"))


def test_a_run_draws_its_curves_and_shows_every_sample(run_page, tmp_path):
    dom = ready(dump_dom(run_page, tmp_path))
    charts = re.findall(r'<svg [^>]*data-title="([^"]+)"', dom)
    assert {"held-out pass@1", "held-out pass@k", "held-out maj@k", "kept for training"} <= set(charts)
    assert len(re.findall(r'<path [^>]*data-series="', dom)) >= 8
    assert matches(dom) == 18
    assert_hostile_shown_as_text(dom)
    screenshot(run_page, tmp_path / "run.png", tmp_path)


def test_filters_in_the_hash_narrow_the_list(run_page, tmp_path):
    assert matches(ready(dump_dom(run_page, tmp_path, "status=wrong"))) == 8
    dom = ready(dump_dom(run_page, tmp_path, "status=wrong&iter=1&split=train"))
    assert matches(dom) == 4 and statuses_shown(dom) == {"wrong"}
    assert matches(ready(dump_dom(run_page, tmp_path, "kept=yes"))) == 6
    assert matches(ready(dump_dom(run_page, tmp_path, "problem=p3&q=10-7+is+3"))) == 1


def test_a_problem_shows_its_samples_side_by_side_across_iterations(run_page, tmp_path):
    dom = ready(dump_dom(run_page, tmp_path, "focus=0"))  # problem 0 is the first one read: q1, held out
    panel = re.search(r'<section class="problem" id="problem-panel">.*?</section>', dom, re.S).group(0)
    assert re.findall(r"<h4>iteration (\d+)</h4>", panel) == ["0", "1", "2"]


def test_a_rest_run_links_its_findings_to_the_samples(tmp_path):
    page = write_view(make_run(tmp_path / "run", "rest"))
    dom = ready(dump_dom(page, tmp_path))
    assert "Audit findings (3)" in dom
    assert {"Improve threshold", "kept vs kept-but-verifier-rejects", "fresh samples"} <= set(
        re.findall(r'<svg [^>]*data-title="([^"]+)"', dom))
    dom = ready(dump_dom(page, tmp_path, "finding=reward+model+high%2C+verifier+rejects"))
    assert matches(dom) == 1 and "1+1 is 3" in dom
    # one sample kept by two Improve steps that the verifier rejects: one badge, not one per step
    dom = ready(dump_dom(page, tmp_path, "finding=kept%2C+verifier+rejects"))
    assert matches(dom) == 1 and len(re.findall(r'class="badge finding"[^>]*>kept, verifier rejects<', dom)) == 1
    screenshot(page, tmp_path / "rest.png", tmp_path)


def test_a_graded_file_shows_its_summary_per_test_results_and_hostile_text(tmp_path):
    page = write_view(make_graded(tmp_path / "graded.jsonl"))
    dom = ready(dump_dom(page, tmp_path))
    assert "<h2>Summary</h2>" in dom and "<td>expected 5, got 4</td>" in dom
    assert "<td>&lt;b&gt;7&lt;/b&gt;</td>" in dom  # a test's output is shown as text too
    assert_hostile_shown_as_text(dom)
    assert matches(ready(dump_dom(page, tmp_path, "status=no_answer"))) == 1
    screenshot(page, tmp_path / "graded.png", tmp_path)
