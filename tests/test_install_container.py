"""The container image: Containerfile checked as text always; built and run where possible.

Building needs a container engine (podman, or docker with a running daemon) and the base image
(pulled from its registry, or already present). Where either is missing the build test skips and
says which. RATINGS_ENGINE_TEST_PYTHON_IMAGE names another base image (e.g. one made locally on a
machine without registry access); it is passed as the PYTHON_IMAGE build argument.
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from test_install import PYPROJECT, README, ROOT, extras_of, install_command, sh_lines

CONTAINERFILE = ROOT / "Containerfile"
IMAGE = "ratings-engine"  # the README's tag
EXAMPLE = "pdu cases/redcar-cleveland-middlesbrough.csv --judgements cases/redcar-cleveland-middlesbrough-judgements.csv"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: comments dropped, backslash continuations joined."""
    logical, current = [], ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        current += line.rstrip()
        if current.endswith("\\"):
            current = current[:-1] + " "
            continue
        keyword, _, args = current.strip().partition(" ")
        logical.append((keyword.upper(), " ".join(args.split())))
        current = ""
    return logical


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for keyword, args in instructions(CONTAINERFILE.read_text(encoding="utf-8")):
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, args))
    return found


def default_base_image() -> str:
    args = dict(a.split("=", 1) for k, a in instructions(CONTAINERFILE.read_text(encoding="utf-8"))
                if k == "ARG" and "=" in a)
    return args["PYTHON_IMAGE"]


def test_two_stages_compiler_only_in_the_first():
    build, runtime = stages()
    assert build[0] == ("FROM", "${PYTHON_IMAGE} AS build") and runtime[0][1].startswith("${PYTHON_IMAGE}")
    build_runs = " ".join(a for k, a in build if k == "RUN")
    assert re.search(r"apt-get install .*\bgcc\b", build_runs)
    assert [k for k, _ in runtime if k == "RUN"] == []  # nothing installed: no compiler, no package manager run
    assert ("COPY", "--from=build /opt/ratings-engine /opt/ratings-engine") in runtime


def test_the_build_stage_installs_with_the_readme_command_and_checks_the_example():
    (build, _) = stages()
    runs = " ".join(a for k, a in build if k == "RUN")
    pip = re.search(r"-m pip install (?:--no-cache-dir )?(\./vendor/durable-rules '\.\[[a-z,]+\]')", runs)
    assert pip, runs
    readme = install_command().split("pip install ", 1)[1]
    # the same two requirements, not editable (the source stays in the build stage), extras a superset
    assert readme.replace("-e ", "").split()[0] == pip.group(1).split()[0] == "./vendor/durable-rules"
    assert extras_of(install_command()) <= extras_of(pip.group(1)) == {"excel", "charts"}
    assert f"/opt/ratings-engine/bin/rate {EXAMPLE}" in runs


def test_the_image_runs_rate_as_a_non_root_user_in_the_mounted_folder():
    _, runtime = stages()
    settings = dict(runtime)
    assert settings["ENTRYPOINT"] == '["rate"]'
    assert settings["WORKDIR"] == "/data"
    assert settings["USER"].split(":")[0] not in ("0", "root")
    assert "PATH=/opt/ratings-engine/bin:$PATH" in settings["ENV"]


def test_the_base_image_is_a_supported_python():
    image = default_base_image()
    version = re.search(r"python:(\d+\.\d+)", image).group(1)
    assert SpecifierSet(PYPROJECT["project"]["requires-python"]).contains(f"{version}.0")
    assert image.startswith("docker.io/library/python:")  # fully qualified: podman needs no short-name lookup


def test_the_build_context_leaves_out_git_virtual_environments_and_build_output():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".ci/venv-*", "**/build", "**/*.egg-info", "**/__pycache__"} <= set(ignored)


def readme_container_commands() -> tuple[str, str]:
    build = next(line for line in sh_lines() if line.startswith("docker build"))
    run = next(line for line in sh_lines() if line.startswith("docker run"))
    return build, run


def test_the_readme_documents_one_build_and_one_run_command():
    build, run = readme_container_commands()
    assert shlex.split(build) == ["docker", "build", "-t", IMAGE, "-f", "Containerfile", "."]
    assert run.startswith(f'docker run --rm -v "$PWD:/data" --user "$(id -u):$(id -g)" {IMAGE} ')
    assert run.endswith(EXAMPLE)


def _engine() -> tuple[str | None, str]:
    """A container engine that answers, or None and why not."""
    tried = []
    for tool in ("podman", "docker"):
        if shutil.which(tool) is None:
            tried.append(f"{tool} is not installed")
            continue
        try:
            done = subprocess.run([tool, "info"], capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            tried.append(f"`{tool} info` did not answer in 60 s")
            continue
        if done.returncode == 0:
            return tool, ""
        tried.append(f"`{tool} info` failed (only a client, no engine)")
    return None, "no container engine here: " + "; ".join(tried)


def _base_image(tool: str) -> tuple[str | None, str]:
    image = os.environ.get("RATINGS_ENGINE_TEST_PYTHON_IMAGE") or default_base_image()
    if subprocess.run([tool, "image", "inspect", image], capture_output=True, timeout=60).returncode == 0:
        return image, ""
    try:
        pulled = subprocess.run([tool, "pull", image], capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return None, f"pulling the base image {image} did not finish in 300 s"
    if pulled.returncode != 0:
        last = (pulled.stderr.strip().splitlines() or ["?"])[-1]
        return None, (f"the base image {image} is not here and cannot be pulled ({last[:200]}); "
                      "set RATINGS_ENGINE_TEST_PYTHON_IMAGE to a local Python 3.11-3.13 image")
    return image, ""


def test_the_image_builds_and_rates_mounted_files_with_the_readme_commands(tmp_path):
    """Skips, saying why, where it cannot run; .ci/run leaves it out there (see why_not)."""
    tool, why = _engine()
    if tool is None:
        pytest.skip(why)
    image, why = _base_image(tool)
    if image is None:
        pytest.skip(why)
    build, run = readme_container_commands()
    tag = f"{IMAGE}:test"
    build_args = shlex.split(build)[1:]
    build_args[build_args.index(IMAGE)] = tag
    done = subprocess.run([tool, *build_args, "--build-arg", f"PYTHON_IMAGE={image}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    # The README's run command, in the repository (its files mounted at /data).
    command = run.replace("docker ", f"{tool} ", 1).replace(f" {IMAGE} ", f" {tag} ", 1)
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Score 8/24" in done.stdout and "Overall rating: Requires improvement" in done.stdout

    # Output written into the mounted folder, and read from a workbook (the excel extra).
    for name in ("redcar-cleveland-middlesbrough.xlsx", "redcar-cleveland-middlesbrough-judgements.csv"):
        shutil.copy(ROOT / "cases" / name, tmp_path / name)
    tmp_path.chmod(0o777)  # the image's default user may not be this one
    export = [tool, "run", "--rm", "-v", f"{tmp_path}:/data", tag, "export", "redcar-cleveland-middlesbrough.xlsx",
              "--sheet", "Cases", "-j", "redcar-cleveland-middlesbrough-judgements.csv", "--output", "ratings.xlsx"]
    done = subprocess.run(export, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ratings.xlsx").read_bytes()[:2] == b"PK"

    # The image that runs has no compiler.
    probe = [tool, "run", "--rm", "--entrypoint", "sh", tag, "-c", "command -v gcc cc || echo none"]
    assert subprocess.run(probe, capture_output=True, text=True, timeout=120).stdout.strip() == "none"


def why_not() -> str:
    """Why the build test cannot run here ("" when it can): used by .ci/run to leave it out, saying why."""
    tool, why = _engine()
    if tool is None:
        return why
    return _base_image(tool)[1]


if __name__ == "__main__":  # python tests/test_install_container.py --why-not
    import sys

    if sys.argv[1:] != ["--why-not"]:
        sys.exit("usage: python tests/test_install_container.py --why-not")
    print(why_not())
