"""The demos: a tiny model trained here from scratch, then ReST-EM (and ReST beside it) on arithmetic."""

from __future__ import annotations


def __getattr__(name: str) -> object:  # the flat layout's rest_train.demo module
    from rest_train._moved import moved_attribute

    return moved_attribute("rest_train.demo", "rest_train.demo.rest_em", name)
