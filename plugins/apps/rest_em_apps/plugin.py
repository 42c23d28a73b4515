"""Entry point of the `rest-em-apps` distribution: registers the `apps` verifier, the `apps`,
`codecontests` and `apps-cpp` tasks (the same problems, answered in Python by default, in C++, or in any
registered language through `language=`), and the languages it runs."""

from __future__ import annotations

from typing import Any, Callable

from rest_em_apps.languages import BUILTIN_LANGUAGES
from rest_em_apps.task import AppsTask
from rest_em_apps.verifier import AppsVerifier
from rest_verify.hookspecs import hookimpl


@hookimpl
def register_verifiers(register: Callable[[Any], None]) -> None:
    register(AppsVerifier())


@hookimpl
def register_tasks(register: Callable[[Any], None]) -> None:
    register(AppsTask())
    register(AppsTask(name="apps-cpp", language="cpp"))
    register(AppsTask(name="codecontests"))


@hookimpl
def register_languages(register: Callable[[Any], None]) -> None:
    for language in BUILTIN_LANGUAGES:
        register(language)
