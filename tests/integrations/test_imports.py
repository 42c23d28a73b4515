import subprocess
import sys


def test_adapters_import_no_framework_until_used():
    code = ("import sys, rest_verify, rest_verify.cli.serve\n"
            "import rest_verify.integrations.trl, rest_verify.integrations.verl\n"
            "import rest_verify.integrations.openrlhf, rest_verify.integrations.lm_eval\n"
            "heavy = {'torch', 'trl', 'transformers', 'fastapi', 'uvicorn', 'starlette', 'lm_eval', 'verl'}\n"
            "print(sorted(heavy & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
