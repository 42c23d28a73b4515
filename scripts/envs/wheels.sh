#!/usr/bin/env bash
# .envs/wheels: rest-em and its in-repo plugins as a user gets them from the package index. `python -m build`
# makes each distribution's sdist and, from that sdist, its wheel into .envs/wheels/dist; `twine check
# --strict` checks both; then the wheels alone are installed (by file, never editable) into .envs/wheels,
# a venv that sees none of the machine's site-packages, with only third-party dependencies from the index.
# rest-em-rm is built and checked but not installed: it needs torch, which this environment must not pull.
# The build tools come from wheels-requirements.txt, in .envs/wheels/tools.
# Idempotent: .envs/wheels/.ready holds a key of everything the build reads, the packages' source files
# included (their content as it is on disk, so an edit rebuilds); another key rebuilds from scratch.
# .envs/wheels/build.json records how long the build took.
set -euo pipefail
cd "$(dirname "$0")/../.."
env=.envs/wheels
requirements=scripts/envs/wheels-requirements.txt
projects=(. plugins/math plugins/apps plugins/arith plugins/rm)
installed=(rest-em rest-em-math rest-em-apps rest-em-arith)
sources() {  # the content of every file a distribution can package, tracked or new
    git ls-files -z --cached --others --exclude-standard -- rest_verify sandboxes rest_train plugins README.md \
        | xargs -0 -r sh -c 'for f; do [ -f "$f" ] && sha256sum "$f"; done; true' sources
}
key=$({
    echo "${projects[*]} ${installed[*]}"
    python3 -c 'import sys; print(sys.version)'
    cat "$requirements" "$0"
    sources
} | sha256sum | cut -d' ' -f1)
if [ -f "$env/.ready" ] && [ "$(cat "$env/.ready")" = "$key" ]; then
    exit 0
fi
started=$SECONDS
rm -rf "$env"
python3 -m venv "$env"
python3 -m venv "$env/tools"
pip=(install -q --disable-pip-version-check --no-compile)
"$env/tools/bin/pip" "${pip[@]}" -r "$requirements"
for project in "${projects[@]}"; do
    "$env/tools/bin/python" -m build --no-isolation --outdir "$env/dist" "$project" > "$env/build.log" 2>&1 \
        || { cat "$env/build.log" >&2; echo "wheels: building $project failed" >&2; exit 1; }
done
"$env/tools/bin/twine" check --strict "$env"/dist/*
wheels=()
for name in "${installed[@]}"; do
    wheels+=("$env"/dist/"${name//-/_}"-*.whl)
done
"$env/bin/pip" "${pip[@]}" "${wheels[@]}"
"$env/bin/rest-em" plugins > /dev/null
printf '{"seconds": %d, "distributions": %d}\n' $((SECONDS - started)) "$(ls "$env"/dist | wc -l)" > "$env/build.json"
echo "wheels: $(cat "$env/build.json")"
echo "$key" > "$env/.ready"
