"""Plugin module of rest-em's training side (the `rest_em` entry point `train` of the rest-em
distribution): the `transformers`, `vllm` and `openai` generators and the verbs `rest-em run`, `demo`,
`convert-gguf` and `view`.

Loaded by every `rest-em` invocation, so it imports nothing heavy: torch is imported only when a
generator is actually made, and the verbs' module only when one of them runs.
"""

from __future__ import annotations

from typing import Any, Callable

from rest_verify.commands import Command
from rest_verify.hookspecs import hookimpl

from rest_train.generation.transformers import TransformersBackend
from rest_train.generation.openai.backend import OpenAIBackend
from rest_train.generation.vllm.backend import VllmBackend


@hookimpl
def register_generators(register: Callable[[Any], None]) -> None:
    register(TransformersBackend())
    register(OpenAIBackend())
    register(VllmBackend())


@hookimpl
def register_commands(register: Callable[[Any], None]) -> None:
    register(Command("run", "rest_train.cli:run", "Run ReST-EM as a TOML config describes it, or resume it."))
    register(Command("demo", "rest_train.cli:demo", "Pre-train a tiny LM on arithmetic, then improve it by ReST-EM."))
    register(Command("convert-gguf", "rest_train.models.gguf:convert_gguf_command",
                     "Convert a GGUF model file into a plain checkpoint folder."))
    register(Command("view", "rest_train.reports.viewer.cli:view",
                     "Write one HTML page to read a run directory or a graded file in a browser."))
