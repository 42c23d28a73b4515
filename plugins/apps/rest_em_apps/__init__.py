"""rest-em plugin for code problems in the APPS / CodeContests layout: the `apps` verifier."""

from rest_em_apps.compare import compare_stdout, compare_value
from rest_em_apps.extract import extract_code
from rest_em_apps.languages import BUILTIN_LANGUAGES
from rest_em_apps.reference import InvalidReference, TestSuite, parse_reference
from rest_em_apps.verifier import AppsVerifier

__all__ = ["AppsVerifier", "InvalidReference", "BUILTIN_LANGUAGES", "TestSuite", "compare_stdout",
           "compare_value", "extract_code", "parse_reference"]
