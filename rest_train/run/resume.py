"""Resumable sampling: each prompt's samples are appended to a journal as soon as they are finished.

A sampling stage over thousands of prompts can run for hours against remote servers; killing it must
not throw that work away. A generator with `generate_stream` reports prompts as they finish; each is
appended (one JSON line, flushed) to `<output>.journal` beside the stage's output. Rerunning the stage
reads the journal back, asks the generator only for the prompts it lacks, and the caller deletes the
journal once the stage's output is written. A line torn by the kill is ignored, and so is any line that
does not match the stage's current prompts, so a stale journal can never leak into another stage.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Iterator, Sequence, TextIO

from rest_verify.errors import RestEmError

from rest_train.generation import PromptRefused, Sampling

JOURNAL_SUFFIX = ".journal"
log = logging.getLogger("rest_train")


def journal_path(output: Path) -> Path:
    """Where the sampling stage writing `output` keeps its finished prompts."""
    return Path(output).with_name(Path(output).name + JOURNAL_SUFFIX)


class JournaledGenerator:
    """Wraps a generator so its stream replays the journal's finished prompts, then journals the rest.

    The loop grades this stream as it arrives (rest_train.run.overlap), so a resumed stage grades the
    journaled prompts at once while the generator works on the missing ones.
    """

    def __init__(self, generator: Any, keys: Sequence[str], journal: Path):
        self.generator = generator
        self.keys = keys
        self.journal = journal

    def generate(self, prompts: Sequence[str], n: int, sampling: Sampling) -> list[list[str]]:
        done = dict(self.generate_stream(prompts, n, sampling))
        absent = [self.keys[index] for index in range(len(prompts)) if index not in done]
        if absent:
            raise RestEmError(f"the generator finished without completions for {len(absent)} prompts "
                              f"(first: {absent[0]!r})")
        return [done[index] for index in range(len(prompts))]

    def generate_stream(self, prompts: Sequence[str], n: int, sampling: Sampling) -> Iterator[tuple[int, list[str]]]:
        """(prompt index, its n completions): the journal's first, then the generator's as they finish.

        A generator without `generate_stream` produces all missing prompts in one call, so a kill loses
        that call's work (and nothing is journaled).
        """
        keys, journal = self.keys, self.journal
        done = _read_journal(journal, keys, prompts, n)
        yield from sorted(done.items())
        missing = [index for index in range(len(prompts)) if index not in done]
        if not missing:
            return
        try:
            yield from self._generate_missing(prompts, missing, n, sampling, finished=len(done))
        except PromptRefused as refused:  # the backend saw only the missing prompts: name it in the stage
            if not 0 <= refused.index < len(missing):
                raise
            index = missing[refused.index]
            raise refused.renamed(index, keys[index]) from None

    def _generate_missing(self, prompts: Sequence[str], missing: Sequence[int], n: int, sampling: Sampling, *,
                          finished: int) -> Iterator[tuple[int, list[str]]]:
        keys, journal = self.keys, self.journal
        if getattr(self.generator, "generate_stream", None) is None:
            generated = self.generator.generate([prompts[index] for index in missing], n, sampling)
            if len(generated) != len(missing):
                raise RestEmError(f"the generator returned completions for {len(generated)} prompts, "
                                  f"expected {len(missing)}")
            for index, texts in zip(missing, generated):
                yield index, _checked(texts, n, keys[index])
            return
        with _appender(journal) as handle:
            try:
                for position, texts in self._stream(prompts, missing, n, sampling):
                    index = missing[position]
                    handle.write(json.dumps({"key": keys[index], "prompt": prompts[index],
                                             "completions": _checked(texts, n, keys[index])},
                                            ensure_ascii=False) + "\n")
                    handle.flush()  # in the operating system's hands now: a killed process cannot lose it
                    finished += 1
                    yield index, texts
            except BaseException:
                log.warning("%d of %d prompts are finished and kept in %s; rerun to continue from there",
                            finished, len(prompts), journal)
                raise

    def _stream(self, prompts: Sequence[str], missing: Sequence[int], n: int,
                sampling: Sampling) -> Iterator[tuple[int, list[str]]]:
        """The generator's stream of the missing prompts; one that derives something from the prompts'
        names (per-request seeds, `accepts_prompt_keys`) gets their keys, the same in a resumed stage."""
        subset = [prompts[index] for index in missing]
        if getattr(self.generator, "accepts_prompt_keys", False):
            return self.generator.generate_stream(subset, n, sampling, keys=[self.keys[index] for index in missing])
        return self.generator.generate_stream(subset, n, sampling)


def sample_resumably(generator: Any, keys: Sequence[str], prompts: Sequence[str], n: int, sampling: Sampling,
                     journal: Path) -> list[list[str]]:
    """n completions per prompt, in prompt order, reusing the prompts `journal` already holds.

    `keys` name the prompts (problem ids, unique).
    """
    return JournaledGenerator(generator, keys, journal).generate(prompts, n, sampling)


def _read_journal(journal: Path, keys: Sequence[str], prompts: Sequence[str], n: int) -> dict[int, list[str]]:
    if not journal.exists():
        return {}
    position = {key: index for index, key in enumerate(keys)}
    done: dict[int, list[str]] = {}
    with journal.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # the line a kill cut short
            index = position.get(entry.get("key")) if isinstance(entry, dict) else None
            texts = entry.get("completions") if index is not None else None
            if (index is not None and entry.get("prompt") == prompts[index] and isinstance(texts, list)
                    and len(texts) == n and all(isinstance(text, str) for text in texts)):
                done[index] = texts
    return done


def _appender(journal: Path) -> TextIO:
    """The journal opened for appending, on a fresh line if a kill left the last one unfinished."""
    journal.parent.mkdir(parents=True, exist_ok=True)
    torn = journal.exists() and journal.stat().st_size > 0 and _last_byte(journal) != b"\n"
    handle = journal.open("a", encoding="utf-8")
    if torn:
        handle.write("\n")
    return handle


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1)


def _checked(texts: list[str], n: int, key: str) -> list[str]:
    if len(texts) != n:
        raise RestEmError(f"the generator returned {len(texts)} completions for prompt {key!r}, expected {n}")
    return texts
