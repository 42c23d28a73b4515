"""`rest-em sandbox build|doctor` against the real daemon."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile

import pytest
from click.testing import CliRunner

import sandboxes.image as image
from rest_verify.cli import main
from sandboxes.base import SandboxError, SandboxUnavailable
from sandboxes.image import (RECIPE_LABEL, default_image, packages, recipe_hash, _run_step, _split_name, build_image,
                             docker_client)


def test_image_names_split_into_repository_and_tag():
    assert _split_name("rest-em-sandbox:latest") == ("rest-em-sandbox", "latest")
    assert _split_name("registry:5000/team/box") == ("registry:5000/team/box", "latest")
    assert _split_name("registry:5000/team/box:v2") == ("registry:5000/team/box", "v2")


def test_the_default_tag_is_the_recipe_hash_which_follows_the_package_list(monkeypatch):
    recipe = recipe_hash()
    assert default_image() == f"rest-em-sandbox:{recipe}"
    monkeypatch.setattr(image, "BASE_PACKAGES", (*image.BASE_PACKAGES, "gfortran"))
    assert "gfortran" in packages() and recipe_hash() != recipe


def test_the_image_installs_every_registered_languages_packages():
    from rest_verify.languages import registered_languages

    languages = registered_languages()
    assert {"python", "cpp"} <= set(languages)
    assert {package for language in languages.values() for package in language.packages} <= set(packages())


def test_the_dockerfile_installs_the_package_list_it_is_given():
    dockerfile = (image.DOCKERFILE_DIR / "Dockerfile").read_text()
    install = next(line for line in dockerfile.splitlines() if "apt-get install" in line)
    assert "ARG PACKAGES" in dockerfile and "$PACKAGES" in install.split()


def test_unknown_build_method_is_refused():
    with pytest.raises(ValueError, match="debootstrap"):
        build_image(method="magic")


def test_a_build_step_past_its_timeout_is_stopped_with_a_clear_error():
    with pytest.raises(SandboxError, match="took longer than"):
        _run_step(["sleep", "5"], timeout=0.2)


def test_a_failing_build_step_shows_its_error_output():
    with pytest.raises(SandboxError, match="boom"):
        _run_step(["sh", "-c", "echo boom >&2; exit 3"], timeout=10)


def rest_em(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from rest_verify.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "REST_EM_DEBUG": "", **env})


def last_line(done: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_a_docker_engine_that_is_not_running_is_one_line_and_status_2():
    for verb in ("build", "doctor"):
        done = rest_em("sandbox", verb, DOCKER_HOST="unix:///nonexistent/docker.sock")
        assert done.returncode == 2, done.stderr
        assert "cannot reach the Docker daemon" in last_line(done) and last_line(done).startswith("Error: ")


@pytest.mark.docker
def test_a_missing_sandbox_image_is_one_line_and_status_2():
    done = rest_em("sandbox", "doctor", "--image", "rest-em-sandbox:no-such-tag")
    assert done.returncode == 2, done.stderr
    assert last_line(done).startswith("Error: sandbox not ready: image present: rest-em-sandbox:no-such-tag not found")
    assert "rest-em sandbox build --image rest-em-sandbox:no-such-tag" in last_line(done)
    assert "FAIL image present" in done.stdout


@pytest.mark.docker
def test_missing_debootstrap_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr("sandboxes.image.shutil.which", lambda name: None)
    with pytest.raises(SandboxUnavailable, match="apt-get install debootstrap"):
        build_image(name="rest-em-sandbox:never-built", method="debootstrap", force=True, log=lambda _: None)


@pytest.mark.docker
def test_build_is_idempotent():
    result = CliRunner().invoke(main, ["sandbox", "build"])
    assert result.exit_code == 0 and "already exists" in result.output


@pytest.mark.docker
def test_doctor_passes_on_a_working_setup(docker_runtime):
    result = CliRunner().invoke(main, ["sandbox", "doctor", "--runtime", docker_runtime])
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    for name in (f"runtime {docker_runtime} registered", "image up to date", "network absent", "read-only root",
                 "non-root", "memory limit", "process limit", "seccomp profile",
                 *(f"{language} toolchain" for language in ("python", "cpp", "java", "javascript", "go", "rust"))):
        assert f"OK   {name}" in result.output
    # under gVisor the program must see gVisor's kernel, not the host's
    assert ("OK   gVisor kernel: the program sees kernel 4.4.0" in result.output) == (docker_runtime == "runsc")


@pytest.mark.docker
def test_doctor_names_the_fix_for_a_runtime_dockerd_lacks():
    done = rest_em("sandbox", "doctor", "--runtime", "no-such-runtime")
    assert done.returncode == 2, done.stderr
    assert "FAIL runtime no-such-runtime registered" in done.stdout
    assert last_line(done).startswith("Error: sandbox not ready: runtime no-such-runtime registered")
    assert "daemon.json" in last_line(done)

@pytest.fixture
def stale_image():
    """A tiny image labelled with another recipe, removed afterwards."""
    name = "rest-em-sandbox:test-stale-recipe"
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        info = tarfile.TarInfo("marker")
        tar.addfile(info, io.BytesIO(b""))
    client = docker_client()
    repository, tag = _split_name(name)
    client.import_image_from_data(archive.getvalue(), repository=repository, tag=tag,
                                  changes=[f"LABEL {RECIPE_LABEL}=000000000000"])
    yield name
    client.remove_image(name, force=True)


@pytest.mark.docker
def test_doctor_calls_an_image_of_another_recipe_stale(stale_image):
    done = rest_em("sandbox", "doctor", "--image", stale_image)
    assert done.returncode == 2, done.stderr
    assert f"FAIL image up to date: built from recipe 000000000000, but this rest-em's recipe is {recipe_hash()}" \
        in done.stdout
    assert f"rest-em sandbox build (makes rest-em-sandbox:{recipe_hash()}" in last_line(done)
