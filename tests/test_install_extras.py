"""Optional extras: a feature whose extra is missing says, in one line, exactly what to install.

A missing module is simulated (sys.modules entries set to None, which makes `import` raise
ModuleNotFoundError), never by uninstalling. Expected messages are written out here by hand.
"""
from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CASES, ROOT

from ratings_engine import api
from ratings_engine.cli import main
from ratings_engine.model import extras
from ratings_engine.model.extras import MissingExtraError, require

PACKAGE = ROOT / "ratings_engine"
WORKBOOK = CASES / "redcar-cleveland-middlesbrough.xlsx"
EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"
GOOD = ["--vary", "key_question_bands.rows[kq-good].min", "--vary", "key_question_bands.rows[kq-requires-improvement].below"]
#: Import name -> the distribution an extra must list for it (hand-written).
DISTRIBUTIONS = {"openpyxl": "openpyxl", "matplotlib": "matplotlib", "starlette": "starlette", "uvicorn": "uvicorn"}
#: Extras for developing, not features a command needs.
DEVELOPMENT_EXTRAS = {"all", "test", "mutation"}


def missing(feature: str, module: str, extra: str) -> str:
    return (f"error: {feature} needs {module} (the [{extra}] extra), which is not installed: "
            f"{sys.executable} -m pip install 'ratings-engine[{extra}]'\n")


@pytest.fixture
def uninstalled(monkeypatch):
    """Make modules (and their submodules) unimportable for one test, as if not installed."""

    def block(*tops: str) -> None:
        for top in tops:
            for name in [n for n in sys.modules if n.startswith(top + ".")]:
                monkeypatch.delitem(sys.modules, name)
            monkeypatch.setitem(sys.modules, top, None)

    return block


def _one_clean_error(result, expected: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit)  # a handled error, not a traceback
    assert result.stderr == expected


def test_reading_a_workbook_without_openpyxl_names_the_file_and_the_excel_extra(uninstalled):
    uninstalled("openpyxl")
    result = CliRunner().invoke(main, ["pdu", str(WORKBOOK), "-j", str(JUDGEMENTS)])
    _one_clean_error(result, missing(f"reading {WORKBOOK} (an .xlsx workbook)", "openpyxl", "excel"))


def test_a_workbook_draft_without_openpyxl(uninstalled):
    uninstalled("openpyxl")
    result = CliRunner().invoke(main, ["validate", str(EXAMPLE), "-j", str(JUDGEMENTS), "--draft", str(WORKBOOK),
                                       "--draft-sheet", "Draft"])
    _one_clean_error(result, missing(f"reading {WORKBOOK} (an .xlsx draft file)", "openpyxl", "excel"))


def test_exporting_a_workbook_without_openpyxl_writes_nothing(uninstalled, tmp_path):
    uninstalled("openpyxl")
    out = tmp_path / "ratings.xlsx"
    result = CliRunner().invoke(main, ["export", str(EXAMPLE), "-j", str(JUDGEMENTS), "--output", str(out)])
    _one_clean_error(result, missing(f"writing {out} (an .xlsx workbook)", "openpyxl", "excel"))
    assert list(tmp_path.iterdir()) == []


def test_an_xlsx_output_without_openpyxl_stops_before_rating(uninstalled, monkeypatch, tmp_path):
    uninstalled("openpyxl")

    def rating_must_not_run(*args, **kwargs):
        raise AssertionError("rated before the missing extra was reported")

    monkeypatch.setattr(api, "rate", rating_must_not_run)
    out = tmp_path / "ratings.xlsx"
    result = CliRunner().invoke(main, ["pdu", str(EXAMPLE), "-j", str(JUDGEMENTS), "-o", str(out)])
    _one_clean_error(result, missing(f"writing {out} (an .xlsx workbook)", "openpyxl", "excel"))


def test_finding_a_workbooks_sheets_without_openpyxl(uninstalled):
    from ratings_engine.io.xlsx_files import sheet_names

    uninstalled("openpyxl")
    with pytest.raises(MissingExtraError) as err:
        sheet_names(WORKBOOK)
    assert str(err.value) == missing(f"reading {WORKBOOK} (an .xlsx workbook)", "openpyxl", "excel")[7:-1]


def test_recognising_a_workbook_of_ours_without_openpyxl(uninstalled):
    from ratings_engine.io.workbooks import workbook_info

    uninstalled("openpyxl")
    with pytest.raises(MissingExtraError) as err:
        workbook_info(WORKBOOK)
    assert str(err.value) == missing(f"reading {WORKBOOK} (an .xlsx workbook)", "openpyxl", "excel")[7:-1]
    assert workbook_info(EXAMPLE) is None  # not a workbook: nothing to import


def test_a_sweep_chart_without_matplotlib_stops_before_the_sweep(uninstalled, monkeypatch, tmp_path):
    uninstalled("matplotlib")

    def sweep_must_not_run(*args, **kwargs):
        raise AssertionError("the sweep ran before the missing extra was reported")

    monkeypatch.setattr(api, "sweep", sweep_must_not_run)
    result = CliRunner().invoke(main, ["sweep", str(CASES / "corpus"), *GOOD, "--values", "60,65", "-q",
                                       "--chart", str(tmp_path / "sweep.png")])
    _one_clean_error(result, missing("rate sweep --chart", "matplotlib", "charts"))


def test_the_chart_renderer_itself_raises_the_clear_error_for_python_users(uninstalled, tmp_path):
    from ratings_engine.render.sweep import chart

    report = api.sweep([CASES / "corpus"], api.DEFAULT_RULEBOOK, vary=GOOD[1::2], values=["60"], quiet=True)
    uninstalled("matplotlib")
    with pytest.raises(MissingExtraError) as err:
        chart(report, tmp_path / "sweep.svg")
    assert (err.value.extra, err.value.module) == ("charts", "matplotlib")
    assert not (tmp_path / "sweep.svg").exists()


def test_serve_without_the_web_extra_names_the_missing_module_and_the_web_extra(uninstalled):
    uninstalled("starlette")
    result = CliRunner().invoke(main, ["serve", str(CASES / "corpus")])
    _one_clean_error(result, missing("rate serve", "starlette", "web"))


def test_the_light_core_rates_the_example_with_no_extra_installed(uninstalled):
    uninstalled("openpyxl", "matplotlib", "starlette", "uvicorn")
    result = CliRunner().invoke(main, ["pdu", str(EXAMPLE), "-j", str(JUDGEMENTS)])
    assert result.exit_code == 0, result.stderr
    assert "Overall rating: Requires improvement" in result.stdout


def test_a_half_installed_extra_names_the_module_that_is_missing(monkeypatch, tmp_path):
    (tmp_path / "fake_extra_pkg").mkdir()
    (tmp_path / "fake_extra_pkg" / "__init__.py").write_text("import fake_dependency_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(extras.EXTRAS, "fake", ("fake_extra_pkg",))
    with pytest.raises(MissingExtraError) as err:
        require("fake_extra_pkg", "a fake feature")
    assert str(err.value) == ("a fake feature needs fake_extra_pkg (the [fake] extra), which cannot be imported "
                              f"(no module 'fake_dependency_not_installed'): {sys.executable} -m pip install "
                              "'ratings-engine[fake]'")


def test_an_import_failure_other_than_a_missing_module_is_not_disguised(monkeypatch, tmp_path):
    (tmp_path / "broken_extra_pkg.py").write_text("raise ImportError('a broken build')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(extras.EXTRAS, "broken", ("broken_extra_pkg",))
    with pytest.raises(ImportError, match="a broken build") as err:
        require("broken_extra_pkg", "a broken feature")
    assert not isinstance(err.value, MissingExtraError)


def test_require_returns_the_module_and_refuses_modules_of_no_extra():
    import openpyxl

    assert require("openpyxl", "anything") is openpyxl
    with pytest.raises(ValueError, match="not provided by any extra"):
        require("pandas", "anything")


def test_the_command_quotes_an_interpreter_path_with_spaces(monkeypatch):
    monkeypatch.setattr(sys, "executable", "/Users/a b/venv/bin/python")
    assert extras.install_command("charts") == "\"/Users/a b/venv/bin/python\" -m pip install 'ratings-engine[charts]'"


def test_the_extras_match_pyproject():
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]

    def names(extra: str) -> set[str]:
        return {req.split(";")[0].split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
                for req in optional[extra]}

    assert set(optional) - DEVELOPMENT_EXTRAS == set(extras.EXTRAS)
    for extra, modules in extras.EXTRAS.items():
        assert {DISTRIBUTIONS[m] for m in modules} <= names(extra), extra
    assert optional["all"] == [f"ratings-engine[{','.join(extras.EXTRAS)}]"]
    assert "ratings-engine[excel,charts,web]" in optional["test"]  # the suite exercises all three


def _extras_imports(provided: set[str] | None = None, level: int = 0) -> dict[str, list[tuple[str, bool]]]:
    """Package file (outside the web layer) -> (module, at module level?) for each import of a module
    an extra provides (or of `provided`, as written with `level` leading dots)."""
    provided = provided or {m for modules in extras.EXTRAS.values() for m in modules}
    found: dict[str, list[tuple[str, bool]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "web":
            continue  # the [web] extra's own layer: imported only by `rate serve`, after its check
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == level and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                if module.split(".")[0] in provided:
                    found.setdefault(path.relative_to(PACKAGE).as_posix(), []).append((module, id(node) in top_level))
    return found


def test_every_use_of_an_extras_module_goes_through_require_and_none_at_import_time():
    found = _extras_imports()
    # Each of these is exercised above with its module missing; a new one needs the same.
    assert set(found) == {"io/xlsx_files.py", "io/spreadsheets.py", "render/sweep.py"}
    for name, imports in found.items():
        assert not any(at_top for _, at_top in imports), f"{name} imports an extra at import time"
        source = (PACKAGE / name).read_text(encoding="utf-8")
        for module in {m.split(".")[0] for m, _ in imports}:
            assert f'require("{module}"' in source, name


def test_the_web_layer_is_imported_only_by_rate_serve_when_it_runs():
    found = _extras_imports({"web"}, level=2)
    assert set(found) == {"cli/serve.py"}
    assert not any(at_top for _, at_top in found["cli/serve.py"])
