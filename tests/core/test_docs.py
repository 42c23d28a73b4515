"""The README is the plugin author's manual and the newcomer's set-up: keep it true."""

import inspect
import re
from pathlib import Path

from rest_verify import hookspecs

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_every_hook_is_documented_with_its_arguments():
    hooks = [obj for name, obj in vars(hookspecs).items() if name.startswith("register_") and callable(obj)]
    assert len(hooks) == 6
    for hook in hooks:
        arguments = ", ".join(inspect.signature(hook).parameters)
        assert f"`{hook.__name__}({arguments})`" in README, f"{hook.__name__} is not documented in README.md"


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    test_command = next(c for c in commands if "test" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_the_readme_grade_example_file_exists():
    assert (ROOT / "examples" / "math_answers.jsonl").is_file()
