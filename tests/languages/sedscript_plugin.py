"""A third-party language plugin, as docs/plugin-authors.md shows it: programs are GNU sed scripts.

The "compiler" is a shell script: it refuses a script sed cannot parse (a compile error, with sed's own
words) and writes `solution`, an executable that runs the script over standard input. Everything it
needs is in the base image (sh, sed), so the language adds no Debian packages and the image keeps its tag.
"""

from rest_verify import hookimpl
from rest_verify.languages import CompileStep, Language

COMPILER = """
sed -n -f solution.sed </dev/null || exit 1
printf '#!/bin/sh\\nexec sed -f solution.sed\\n' > solution
chmod +x solution
"""

SEDSCRIPT = Language(
    "sedscript", "solution.sed", ("./solution",), fences=("sed",), aliases=("gnu-sed",),
    compile=CompileStep(("sh", "-c", COMPILER), seconds=5.0, memory_mb=256, output_bytes=4096),
    version_command=("sed", "--version"),
)


@hookimpl
def register_languages(register):
    register(SEDSCRIPT)
