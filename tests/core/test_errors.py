"""The one line an error message takes from a third-party failure."""

from rest_verify.errors import first_line


def test_the_first_line_of_the_message_or_the_type_when_it_is_empty():
    assert first_line(ValueError("  bad row\nTraceback details\n")) == "bad row"
    assert first_line(OSError()) == "OSError"
    assert first_line(RuntimeError("   \n  ")) == "RuntimeError"
