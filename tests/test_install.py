"""Installing: the README's one command is what CI runs, covers the example, and names only
supported Pythons; the README's references resolve inside the repository."""
from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
#: The Pythons this project supports and tests (the issue's list; 3.14 untested, see vendor/README.md).
SUPPORTED = ["3.11", "3.12", "3.13"]


def sh_lines() -> list[str]:
    return [line for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S) for line in block.splitlines()]


def install_command() -> str:
    """The README's main install command: the first sh line that installs, up to `&&`."""
    return next(line for line in sh_lines() if line.startswith("python3 -m pip install")).split("&&")[0].strip()


def extras_of(command: str) -> set[str]:
    (target,) = [a for a in shlex.split(command) if a.startswith(".[")]
    return set(target[2:-1].split(","))


def test_the_readme_installs_the_vendored_durable_rules_and_the_package_in_one_command():
    assert install_command() == "python3 -m pip install ./vendor/durable-rules -e '.[excel]'"
    quick_start = README[README.index("## Quick start"):README.index("## Install")]
    first = re.search(r"```sh\n(.*?)\n```", quick_start, flags=re.S).group(1)
    assert first.startswith(install_command() + " && rate pdu cases/redcar-cleveland-middlesbrough.csv")


def _extras_needed(rate_command: str) -> set[str]:
    """What a `rate ...` line needs beyond the core (hand-written: workbooks -> excel, --chart ->
    charts, serve -> web)."""
    args = rate_command.split("#")[0].split()
    needed = {"excel"} if any(a.strip("'\"").endswith((".xlsx", ".xlsm")) for a in args) else set()
    needed |= {"charts"} if "--chart" in args else set()
    return needed | ({"web"} if args[1:2] == ["serve"] else set())


def test_the_main_command_installs_what_the_example_needs():
    example = next(line for line in sh_lines() if line.startswith("python3 -m pip install")).split("&&")[1].strip()
    assert _extras_needed(example) <= extras_of(install_command())
    # the example also ships as a workbook (inspectors' usual input): the main command reads it too
    assert (ROOT / "cases" / "redcar-cleveland-middlesbrough.xlsx").exists()
    assert "excel" in extras_of(install_command())
    # the examples that need another extra (the sweep chart, the workbench) have it in the README's table
    others = {e for line in sh_lines() if line.startswith("rate ") for e in _extras_needed(line)}
    assert "charts" in others and others - extras_of(install_command()) <= {"charts", "web"}
    assert "| `charts` | matplotlib | `rate sweep --chart` |" in README
    assert "| `web` | Starlette, Jinja2, uvicorn | `rate serve`," in README


def test_ci_runs_the_readme_command_on_every_supported_python():
    assert install_command().replace("python3 ", '"$venv/bin/python" ', 1) in CI
    assert re.search(r'VERSIONS=\$\{CI_PYTHON_VERSIONS:-"([^"]+)"\}', CI).group(1).split() == SUPPORTED
    test_command = README.split("**Tests.** `", 1)[1].split("`", 1)[0]  # the README's test command
    install, run = test_command.split(" && ")
    assert install.replace("python3 ", '"$venv/bin/python" ', 1) in CI  # the same install ...
    assert run == "python3 -m pytest -q" and '-m pytest -q' in CI  # ... and the same test run, per version
    extras = PYPROJECT["project"]["optional-dependencies"]["test"][0]
    assert {"excel", "charts", "web"} <= set(extras.split("[", 1)[1].rstrip("]").split(","))
    assert '-eq 5 ]' in CI  # pytest's "no tests collected" is a failure


def test_requires_python_is_exactly_the_supported_versions():
    spec = SpecifierSet(PYPROJECT["project"]["requires-python"])
    for version in SUPPORTED:
        assert spec.contains(f"{version}.0") and spec.contains(f"{version}.9"), version
    for version in ("3.10.12", "3.14.0"):
        assert not spec.contains(version), version


def test_ci_virtual_environments_are_ignored_by_git():
    done = subprocess.run(["git", "check-ignore", "-q", ".ci/venv-3.13/bin/python"], cwd=ROOT, capture_output=True)
    assert done.returncode == 0


def test_the_readmes_references_resolve_inside_the_repository():
    links = [target for target in re.findall(r"\]\(([^)\s]+)\)", README) if "://" not in target]
    paths = [p for p in re.findall(r"`([^`\s]+)`", README)
             if re.match(r"(cases|rules|docs|ratings_engine|vendor|bench|tests|\.ci|shared)(/|$)", p) and "<" not in p]
    assert links and paths
    missing = [p for p in links + paths if not p.startswith("#") and not (ROOT / p).exists()]
    assert missing == []
    assert "shared/" not in README and "/work/" not in README
    for anchor in (t for t in links if t.startswith("#")):
        assert re.search(rf"^#+ {anchor[1:].replace('-', '[ -]')}\s*$", README, flags=re.M | re.I), anchor


def test_the_seed_letter_is_cited_by_its_public_details():
    words = " ".join(README.split())
    assert "HM Inspectorate of Probation's letter of 22 December 2022" in words
    assert "Probation Service - North East region" in words
    assert "https://www.justiceinspectorates.gov.uk/hmiprobation/" in README
