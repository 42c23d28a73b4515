"""Run inside .envs/frameworks: a MATH-style lm-eval task graded by rest-em, end to end through simple_evaluate.

The task is read from a local JSONL file and graded by `make_process_results("math", ...)` exactly as the
README tells lm-eval users to wire it; the model is an lm-eval `LM` registered through lm-eval's own
`register_model`, answering from a fixed table so the expected metric is known (4 right of 5).
Prints one JSON line: the metric lm-eval reports and its sample count.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import lm_eval
from lm_eval.api.model import LM
from lm_eval.api.registry import register_model
from lm_eval.tasks import TaskManager

PROBLEMS = [
    ("What is 1/2 + 1/4?", "\\frac{3}{4}", "Adding, we get $\\boxed{0.75}$."),
    ("What is 2^10?", "1024", "So the answer is $\\boxed{1024}$."),
    ("Simplify sqrt(8).", "2\\sqrt{2}", "$\\sqrt{8} = \\boxed{2\\sqrt2}$"),
    ("Solve x + 3 = 5.", "2", "Subtracting 3 gives $\\boxed{x = 2}$."),
    ("What is 7 * 6?", "42", "The product is $\\boxed{41}$."),  # the one wrong answer
]

TASK_YAML = """task: rest_em_math_demo
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_text: "Problem: {{{{problem}}}}\\nSolution:"
doc_to_target: "{{{{answer}}}}"
process_results: !function utils.process_results
metric_list:
  - metric: math
    aggregation: mean
    higher_is_better: true
generation_kwargs:
  until: ["Problem:"]
  do_sample: false
metadata:
  version: 1.0
"""

UTILS = """from rest_verify.integrations.lm_eval import make_process_results

process_results = make_process_results("math", reference_key="answer")
"""


@register_model("rest_em_canned")
class CannedModel(LM):
    """Answers each prompt from PROBLEMS: a model whose accuracy is known in advance."""

    def __init__(self, **kwargs):
        super().__init__()
        self.answers = {question: completion for question, _, completion in PROBLEMS}

    def generate_until(self, requests, disable_tqdm: bool = False):
        outputs = []
        for request in requests:
            prompt = request.arguments[0]
            outputs.append(next(text for question, text in self.answers.items() if question in prompt))
        return outputs

    def loglikelihood(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError("generation-only task")

    def loglikelihood_rolling(self, requests, disable_tqdm: bool = False):
        raise NotImplementedError("generation-only task")


def main(workdir: Path) -> None:
    data = workdir / "problems.jsonl"
    data.write_text("".join(json.dumps({"problem": q, "answer": a}) + "\n" for q, a, _ in PROBLEMS))
    task_dir = workdir / "task"
    task_dir.mkdir()
    (task_dir / "rest_em_math_demo.yaml").write_text(TASK_YAML.format(data=data))
    (task_dir / "utils.py").write_text(UTILS)
    results = lm_eval.simple_evaluate(model="rest_em_canned", tasks=["rest_em_math_demo"],
                                      task_manager=TaskManager(include_path=str(task_dir)),
                                      bootstrap_iters=0, log_samples=False)
    scores = results["results"]["rest_em_math_demo"]
    print(json.dumps({"math": scores["math,none"], "samples": results["n-samples"]["rest_em_math_demo"]["effective"],
                      "lm_eval": lm_eval.__version__}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
