# Sourced by scripts/envs/profile-*.sh. `build_profile NAME PIP_ARGUMENTS...` builds .envs/NAME: a fresh
# virtual environment that sees none of the machine's site-packages, with one install profile installed
# by the very `pip install` command the README gives a user, run from the repository root.
#
# Idempotent: .envs/NAME/.ready holds a key of everything the install reads (the command, the Python,
# every pyproject.toml and requirements file, these scripts); an environment with the same key is kept,
# any other is rebuilt from scratch. Installs are editable, so code changes need no rebuild.
# .envs/NAME/install.json records the command and how long it took (wall and CPU seconds).

build_profile() {
    local name=$1
    shift
    local root
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd) || return 1
    local python=${REST_EM_PROFILE_PYTHON:-python3}
    local env="$root/.envs/$name"
    local key
    key=$(cd "$root" && {
        echo "$*"
        "$python" -c 'import sys; print(sys.version)'
        cat pyproject.toml plugins/*/pyproject.toml requirements*.txt scripts/envs/lib/profile.sh "scripts/envs/$name.sh"
    } | sha256sum | cut -d' ' -f1) || return 1
    if [ -f "$env/.ready" ] && [ "$(cat "$env/.ready")" = "$key" ]; then
        return 0
    fi
    rm -rf "$env"
    "$python" -m venv "$env" || return 1
    # pip runs under a small timer so install.json can say what the install cost in wall and CPU seconds.
    # --no-compile changes nothing a user sees (Python compiles a module on first import) and saves
    # about 40% of the install's CPU time: torch and transformers are thousands of modules.
    if ! (cd "$root" && "$env/bin/python" - "$env/install.json" "$@" <<'PY'); then
import json, resource, subprocess, sys, time
record, arguments = sys.argv[1], sys.argv[2:]
started = time.monotonic()
status = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-compile", *arguments]).returncode
used = resource.getrusage(resource.RUSAGE_CHILDREN)
if status == 0:
    with open(record, "w") as handle:
        json.dump({"command": "pip install " + " ".join(arguments), "seconds": round(time.monotonic() - started, 1),
                   "cpu_seconds": round(used.ru_utime + used.ru_stime, 1)}, handle)
sys.exit(status)
PY
        echo "profile $name: pip install $* failed" >&2
        return 1
    fi
    echo "profile $name: $(cat "$env/install.json")"
    echo "$key" > "$env/.ready"
}
