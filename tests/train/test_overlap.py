"""Generation and grading overlapped: verdicts while generation goes on, results in prompt order."""

from __future__ import annotations

import threading

import pytest

from rest_verify import Grader, Problem, Status
from rest_verify.errors import RestEmError
from rest_train.generation import Sampling
from rest_train.run.overlap import sample_and_grade

PROMPTS = ["p0", "p1", "p2", "p3"]
PROBLEMS = [Problem(id=f"q{i}", reference=f"p{i}-0") for i in range(4)]  # `exact`: sample 0 is right


def completions(prompt, n):
    return [f"{prompt}-{j}" for j in range(n)]


class Streaming:
    """Finishes prompts last-first, and waits (boundedly) for a verdict before finishing the second."""

    def __init__(self, graded: threading.Event):
        self.graded = graded
        self.saw_a_verdict_while_generating = False

    def generate_stream(self, prompts, n, sampling):
        for position, index in enumerate(reversed(range(len(prompts)))):
            if position == 1:
                self.saw_a_verdict_while_generating = self.graded.wait(timeout=20)
            yield index, completions(prompts[index], n)


class Watched(Grader):
    """Sets `graded` at its first verdict."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.graded = threading.Event()

    def grade_iter(self, pairs, total=None):
        for verdict in super().grade_iter(pairs, total):
            self.graded.set()
            yield verdict


class Batch:
    def __init__(self, result):
        self.result = result

    def generate(self, prompts, n, sampling):
        return self.result


@pytest.fixture(scope="module")
def grader():
    with Watched("exact", workers=1, progress=False) as shared:
        yield shared


def test_completions_are_graded_while_generation_goes_on_and_come_back_in_prompt_order(grader):
    generator = Streaming(grader.graded)
    texts, verdicts = sample_and_grade(generator, PROMPTS, PROBLEMS, 3, Sampling(), grader, backend="fake")
    assert generator.saw_a_verdict_while_generating
    assert texts == [completions(p, 3) for p in PROMPTS]
    assert [[v.status for v in row] for row in verdicts] == [[Status.CORRECT, Status.WRONG, Status.WRONG]] * 4


def test_a_generator_without_a_stream_is_generated_then_graded(grader):
    result = [completions(p, 2) for p in PROMPTS]
    texts, verdicts = sample_and_grade(Batch(result), PROMPTS, PROBLEMS, 2, Sampling(), grader, backend="fake")
    assert texts == result
    assert [[v.correct for v in row] for row in verdicts] == [[True, False]] * 4


class Faulty:
    def __init__(self, items):
        self.items = items

    def generate_stream(self, prompts, n, sampling):
        yield from self.items


@pytest.mark.parametrize("items, problem", [
    ([(0, ["a"]), (0, ["b"]), (1, ["c"]), (2, ["d"]), (3, ["e"])], "prompt 0 twice"),
    ([(0, ["a"]), (7, ["b"])], "prompt index 7"),
    ([(0, ["a", "b"])], "2 completions for prompt 0"),
    ([(0, ["a"]), (2, ["b"])], "no completions for prompts 1, 3"),
])
def test_a_stream_that_breaks_the_contract_is_a_clear_error(grader, items, problem):
    with pytest.raises(RestEmError, match=problem):
        sample_and_grade(Faulty(items), PROMPTS, PROBLEMS, 1, Sampling(), grader, backend="fake")
    assert grader.grade(PROBLEMS[:1], ["p0-0"])[0].correct  # the grader is fine for the next stage
