"""pytest plugin registered through the `pytest11` entry point; see rest_verify.testing."""
