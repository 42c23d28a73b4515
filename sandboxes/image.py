"""Build the sandbox image, with or without access to a container registry.

The offline path needs only a Debian package mirror: `debootstrap` a minimal root file system with
`packages()` and `docker import` it. The packages are `BASE_PACKAGES` (`python3`, not `python3-minimal`:
the minimal package lacks `json`, `fractions`, `decimal`, `queue` and `resource`, which harnesses use)
and every registered language's (`register_languages`: g++ for C++, a JDK for Java...), so a plugin's
language brings its toolchain into the image. The Dockerfile path (`sandboxes/image/Dockerfile`, given
the same list as a build argument) is the usual one for machines that can pull `debian:bookworm-slim`.
Both give the same thing: Debian bookworm with `packages()`, user 65534, work dir /work. `DockerSandbox` supplies the command itself (its bootstrap), so the image's default
command only matters by hand.

The default image's tag is a hash of the recipe (packages, suite, image settings, Dockerfile), so a
changed recipe (a language added, say) names a new image: `rest-em sandbox build` builds it even where an image of an older
recipe exists, and `rest-em sandbox doctor` calls an image whose recipe label differs stale. The recipe
is computed on use, not at import: the languages come from the plugin registry, whose loading imports
this module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from sandboxes.base import SandboxError, SandboxUnavailable

if TYPE_CHECKING:
    from docker import APIClient

DEFAULT_MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
BASE_PACKAGES = ("python3",)  # the harnesses and doctor's probes; the languages add theirs
METHODS = ("auto", "debootstrap", "dockerfile")
DOCKERFILE_DIR = Path(__file__).parent / "image"
REPOSITORY = "rest-em-sandbox"
RECIPE_LABEL = "rest-em.recipe"

# Metadata baked into an imported image (a Dockerfile sets the same through its own instructions).
IMPORT_CHANGES = [
    "USER 65534:65534",
    "WORKDIR /work",
    "ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1",
    'CMD ["sleep", "infinity"]',
]


def packages() -> tuple[str, ...]:
    """The Debian packages the image installs: the base and every registered language's, sorted."""
    from rest_verify.languages import image_packages

    return tuple(sorted({*BASE_PACKAGES, *image_packages()}))


def recipe_hash() -> str:
    """12 hex digits that change whenever anything deciding the image's contents does."""
    recipe = "\n".join([SUITE, *packages(), *IMPORT_CHANGES, (DOCKERFILE_DIR / "Dockerfile").read_text()])
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def default_image() -> str:
    """The image this rest-em and its loaded languages run in: named after the recipe's hash."""
    return f"{REPOSITORY}:{recipe_hash()}"


def docker_client(timeout: float = 60.0) -> APIClient:
    """A low-level Docker API client, or `SandboxUnavailable` saying how to get one."""
    try:
        import docker
    except ImportError as exc:
        raise SandboxUnavailable("the docker Python SDK is missing: pip install 'docker>=7'") from exc
    try:
        client = docker.APIClient(timeout=timeout, version="auto", **docker.utils.kwargs_from_env())
        client.ping()
    except Exception as exc:
        raise SandboxUnavailable(
            f"cannot reach the Docker daemon ({exc}); start it (e.g. `sudo dockerd &` or "
            "`sudo systemctl start docker`) and make sure your user may use /var/run/docker.sock") from exc
    return client


def image_exists(name: str | None = None, client: APIClient | None = None) -> bool:
    return image_recipe(name, client) is not None


def image_recipe(name: str | None = None, client: APIClient | None = None) -> str | None:
    """The recipe hash `name` (default: the default image) was built from ("" for an image without the
    label); None if it is missing."""
    import docker.errors

    name = name or default_image()
    client = client or docker_client()
    try:
        config = client.inspect_image(name).get("Config") or {}
    except docker.errors.ImageNotFound:
        return None
    return (config.get("Labels") or {}).get(RECIPE_LABEL, "")


def build_image(name: str | None = None, method: str = "auto", mirror: str = DEFAULT_MIRROR,
                force: bool = False, timeout: float = 1800.0,
                log: Callable[[str], None] = print) -> str:
    """Build the sandbox image `name` unless it already exists (or `force`); returns the method used.

    The default name carries the recipe's hash, so "already exists" means "built from this recipe".

    `auto` prefers debootstrap when it is installed and we are root (it needs no registry), else the
    Dockerfile.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    name = name or default_image()
    client = docker_client(timeout=timeout)
    if not force and image_exists(name, client):
        log(f"{name} already exists; pass force=True (--force) to rebuild it")
        return "existing"
    if method == "auto":
        method = "debootstrap" if shutil.which("debootstrap") and os.geteuid() == 0 else "dockerfile"
    if method == "debootstrap":
        _build_with_debootstrap(client, name, mirror, timeout, log)
    else:
        _build_with_dockerfile(client, name, timeout, log)
    log(f"built {name} with {method}")
    return method


def _build_with_debootstrap(client: APIClient, name: str, mirror: str, timeout: float,
                            log: Callable[[str], None]) -> None:
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        raise SandboxUnavailable(
            "debootstrap is not installed: `apt-get install debootstrap` (or use --method dockerfile)")
    if os.geteuid() != 0:
        raise SandboxUnavailable("debootstrap must run as root: re-run with sudo, or use --method dockerfile")
    wanted = packages()
    with tempfile.TemporaryDirectory(prefix="rest-em-rootfs-") as scratch:
        rootfs = Path(scratch) / "rootfs"
        log(f"debootstrap {SUITE} (minbase + {', '.join(wanted)}) from {mirror} …")
        _run_step([debootstrap, "--variant=minbase", f"--include={','.join(wanted)}", SUITE, str(rootfs),
                   mirror], timeout)
        for leftovers in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in (rootfs / leftovers).glob("*"):
                if entry.is_file():
                    entry.unlink()
        tarball = Path(scratch) / "rootfs.tar"
        log("packing the root file system …")
        _run_step(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(tarball), "."], timeout)
        repository, tag = _split_name(name)
        log(f"docker import → {name} …")
        try:
            client.import_image_from_file(str(tarball), repository=repository, tag=tag,
                                          changes=[*IMPORT_CHANGES, f"LABEL {RECIPE_LABEL}={recipe_hash()}"])
        except Exception as exc:
            raise SandboxError(f"docker import of the debootstrapped root file system failed: {exc}") from exc
    if not image_exists(name, client):
        raise SandboxError(f"docker import reported success but {name} is not there")


def _build_with_dockerfile(client: APIClient, name: str, timeout: float,
                           log: Callable[[str], None]) -> None:
    log(f"docker build {DOCKERFILE_DIR} → {name} …")
    try:
        for chunk in client.build(path=str(DOCKERFILE_DIR), tag=name, rm=True, forcerm=True, decode=True,
                                  labels={RECIPE_LABEL: recipe_hash()}, buildargs={"PACKAGES": " ".join(packages())},
                                  timeout=timeout):
            if "error" in chunk:
                raise SandboxError(f"docker build failed: {chunk['error'].strip()}")
            text = chunk.get("stream", "").strip()
            if text:
                log(text)
    except SandboxError:
        raise
    except Exception as exc:
        raise SandboxError(
            f"docker build failed ({exc}); without registry access use --method debootstrap") from exc


def _run_step(argv: list[str], timeout: float) -> None:
    """Run one build step to completion within `timeout`, raising with its error output on failure."""
    try:
        done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SandboxError(f"{argv[0]} took longer than {timeout:.0f}s: {' '.join(argv)}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).decode(errors="replace")[-2000:]
        raise SandboxError(f"{' '.join(argv)} failed with exit code {done.returncode}:\n{tail}")


def _split_name(name: str) -> tuple[str, str]:
    """`registry:5000/repo:tag` → (`registry:5000/repo`, `tag`); the tag defaults to `latest`."""
    if ":" in name.rsplit("/", 1)[-1]:
        repository, tag = name.rsplit(":", 1)
        return repository, tag
    return name, "latest"
