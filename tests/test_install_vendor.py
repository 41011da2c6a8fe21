"""The vendored durable_rules is the package index's 2.0.28 source plus the documented patch only.

vendor/durable_rules-2.0.28.sha256 lists the sha256 of every file of the index's sdist (whose
own sha256 vendor/README.md records). The patch is the block between the `ratings-engine patch`
markers in src/rulespy/rules.c; with it taken out, that file must be the original too.
"""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "vendor" / "durable-rules"
SUMS = ROOT / "vendor" / "durable_rules-2.0.28.sha256"
PATCHED = "src/rulespy/rules.c"
PATCH = re.compile(r"/\* ratings-engine patch begin .*?/\* ratings-engine patch end \*/\n", re.S)
#: Build output that pip and setuptools write into the source folder (ignored by .gitignore).
BUILD_OUTPUT = ("build/", "libpy/durable_rules.egg-info/")


def _recorded() -> dict[str, str]:
    sums = {}
    for line in SUMS.read_text(encoding="ascii").splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name] = digest
    return sums


def _vendored_files() -> set[str]:
    names = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    return {n for n in names if not n.startswith(BUILD_OUTPUT) and "__pycache__" not in n}


def _unpatched(text: str) -> str:
    return PATCH.sub("", text, count=1)


def test_the_vendored_tree_has_exactly_the_sdists_files():
    recorded = _recorded()
    assert len(recorded) == 20 and "LICENSE" in recorded and PATCHED in recorded
    assert _vendored_files() == set(recorded)


def test_every_vendored_file_is_the_sdists_but_the_patched_one_and_that_only_by_the_patch():
    changed = []
    for name, digest in _recorded().items():
        data = (VENDOR / name).read_bytes()
        if name == PATCHED:
            assert len(PATCH.findall(data.decode("ascii"))) == 1, "exactly one marked patch block"
            data = _unpatched(data.decode("ascii")).encode("ascii")
        if hashlib.sha256(data).hexdigest() != digest:
            changed.append(name)
    assert changed == []


def test_the_patch_is_the_documented_guarded_define():
    block = PATCH.search((VENDOR / PATCHED).read_text(encoding="ascii")).group(0)
    code = [line for line in block.splitlines() if not line.startswith(("/*", "   "))]
    assert code == ["#if PY_VERSION_HEX >= 0x030D0000 && !defined(PyEval_CallObject)",
                    "#define PyEval_CallObject(callable, args) PyObject_CallObject(callable, args)",
                    "#endif"]
    documented = (ROOT / "vendor" / "README.md").read_text(encoding="utf-8")
    assert all(line in documented for line in code)


def test_the_licence_is_kept():
    licence = (VENDOR / "LICENSE").read_text(encoding="ascii")
    assert "The MIT License" in licence and "Jesus Ruiz" in licence


def _preprocess(source: Path, tmp_path: Path) -> str:
    """rules.c through the C preprocessor with this interpreter's headers, as setup.py builds it."""
    include = sysconfig.get_paths()["include"]
    done = subprocess.run(["gcc", "-E", "-P", "-std=c99", "-D_GNU_SOURCE", f"-I{include}",
                           f"-I{VENDOR / 'src' / 'rules'}", str(source)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed: cannot preprocess rules.c")
def test_the_patch_changes_nothing_before_3_13_and_only_the_removed_call_on_3_13(tmp_path):
    original = tmp_path / "rules.c"
    original.write_text(_unpatched((VENDOR / PATCHED).read_text(encoding="ascii")), encoding="ascii")
    before = _preprocess(original, tmp_path)
    after = _preprocess(VENDOR / PATCHED, tmp_path)
    if sys.version_info < (3, 13):
        assert after == before  # the same translation unit: the same compiled module
    else:
        assert "PyEval_CallObject" not in after
        assert after == before.replace("PyEval_CallObject(", "PyObject_CallObject(")
        assert before.count("PyEval_CallObject(") == 5


def test_the_installed_durable_rules_imports_and_fires_a_rule():
    """The compiled module of the install under test loads (3.13: needs the patch) and decides."""
    code = (
        "from durable.lang import ruleset, when_all, m, assert_fact, get_host\n"
        "hits = []\n"
        "with ruleset('install_check'):\n"
        "    @when_all(m.n >= 65)\n"
        "    def good(c): hits.append(('good', c.m.n))\n"
        "    @when_all(m.n < 65)\n"
        "    def other(c): hits.append(('other', c.m.n))\n"
        "assert_fact('install_check', {'id': 1, 'n': 70})\n"
        "assert_fact('install_check', {'id': 2, 'n': 64})\n"
        "print(hits)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('good', 70), ('other', 64)]"
