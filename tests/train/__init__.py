"""Tests of rest_train: config, metrics, filter, M-step, loop, demo."""
