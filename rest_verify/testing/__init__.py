"""Conformance kit for verifier plugins (filled in below)."""
