"""Mutation testing of the model, engine and rating layers: break the code one small way at a time
and check that some test fails.

    python tools/mutation.py                      # every layer: prints the score and each survivor
    python tools/mutation.py --only rating/rate.py --jobs 2 --timeout 120
    python tools/mutation.py --list               # the mutants, without running anything

How it works (Linux; needs the test extras and `coverage`, see README "Mutation testing"):

1. The test subset below runs once under coverage with one context per test, which gives, for
   every line of the mutated layers, the tests that execute it (and their durations).
2. Mutants are made from the AST of each module, one change each: a comparison's boundary or
   sense (< <=, > >=, == !=, is / is not, in / not in), an integer constant +1 / -1, True / False,
   and / or, `not x` -> `x`, a range() bound +1 / -1, min / max. Error messages (f-strings, raise
   statements), annotations and decorators are left alone; so is a line ending in
   `# pragma: no mutate`.
3. Each mutant runs in a child forked from a parent that has already imported the third-party
   libraries: an import hook gives the child the mutated module, then pytest runs the tests
   that cover the mutated line (for import-time code such as a constant: the tests that run the
   module, and every test of its own test files), the module's own test files (naming the
   module, or tests/test_<layer>_*.py) first, then fastest first, up to --budget seconds of
   them, stopping at the first failure (-x), with hypothesis derandomized. A failure or a timeout kills the mutant; a mutant no test
   covers survives without a run. The budget can only make the score lower (a survivor might
   have been killed by a slower test), never higher: check each survivor by hand.

It is a tool, not a test: the default `pytest` run does not collect it. Exit 0 when the score is
at least --min-score (default 97), 1 otherwise.
"""
from __future__ import annotations

import argparse
import ast
import atexit
import importlib.abc
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ratings_engine"
LAYERS = ("engine", "rating", "model")
#: Test files left out of the subset, with why: none of them can notice a mutant of these layers.
#: The browser tests drive Chromium (seconds a test, and a browser started from a forked child); the
#: architecture test runs lint-imports over the source text (imports, not behaviour); the package-data
#: test builds a wheel in a subprocess; the fuzz campaign runs the io layer's readers on random bytes,
#: half of it in subprocesses, which never see the mutated module.
EXCLUDED = {"tests/test_web_browser.py", "tests/test_report_browser.py", "tests/test_architecture.py",
            "tests/test_report_package_data.py", "tests/test_fuzz.py"}
#: The tests that guard those layers: every other test file (tests that run the command line in a
#: subprocess cannot kill a mutant, but cost little: a mutant's tests run fastest first).
TESTS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").glob("test_*.py")
               if p.relative_to(ROOT).as_posix() not in EXCLUDED)

_COMPARE_SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq,
                 ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
_SYMBOL = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.Is: "is",
           ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}


# ---------------------------------------------------------------------------------------------
# Mutants


@dataclass(frozen=True)
class Mutant:
    module: str  # dotted name
    path: str  # relative to the repository
    index: int  # the index-th mutation point of the module, in walk order
    line: int
    description: str
    cover_line: int = 0  # the line whose tests run it (a default argument: its function's body)

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}#{self.index}"


class _Points(ast.NodeVisitor):
    """Walks a module in a fixed order and lists (node, how, description) mutation points."""

    def __init__(self, skip_lines: set[int]):
        self.points: list[tuple[ast.AST, tuple, str, int]] = []
        self.skip_lines = skip_lines
        self.cover_line: int | None = None

    def add(self, node, how, description):
        if getattr(node, "lineno", None) not in self.skip_lines:
            self.points.append((node, how, description, self.cover_line or node.lineno))

    # subtrees that hold no logic worth mutating
    def visit_JoinedStr(self, node):  # f-strings: messages
        return

    def visit_Raise(self, node):  # error messages (the condition raising them is in the `if`)
        return

    def visit_AnnAssign(self, node):
        if node.value is not None:
            self.visit(node.value)

    def visit_arg(self, node):
        return

    def _visit_function(self, node):
        for stmt in node.body:
            self.visit(stmt)
        body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        self.cover_line = (body or node.body)[0].lineno  # a default is used when the body runs
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        self.cover_line = None

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def visit_ClassDef(self, node):
        for stmt in node.body:
            self.visit(stmt)

    def visit_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # a docstring
        self.generic_visit(node)

    def visit_Compare(self, node):
        for i, op in enumerate(node.ops):
            if type(op) in _COMPARE_SWAP:
                new = _COMPARE_SWAP[type(op)]
                self.add(node, ("compare", i), f"{_SYMBOL[type(op)]} -> {_SYMBOL[new]}")
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, bool):
            self.add(node, ("bool",), f"{node.value} -> {not node.value}")
        elif isinstance(node.value, int):
            self.add(node, ("int", +1), f"{node.value} -> {node.value + 1}")
            self.add(node, ("int", -1), f"{node.value} -> {node.value - 1}")

    def visit_BoolOp(self, node):
        self.add(node, ("boolop",), "and -> or" if isinstance(node.op, ast.And) else "or -> and")
        self.generic_visit(node)

    def visit_UnaryOp(self, node):
        if isinstance(node.op, ast.Not):
            self.add(node, ("not",), "not x -> x")
        self.generic_visit(node)

    def visit_Call(self, node):
        if isinstance(node.func, ast.Name) and node.func.id == "range" and node.args:
            stop = len(node.args) - 1 if len(node.args) <= 2 else 1
            bounds = [(stop, "stop")] + ([(0, "start")] if len(node.args) >= 2 else [])
            for i, name in bounds:
                self.add(node, ("range", i, +1), f"range {name} + 1")
                self.add(node, ("range", i, -1), f"range {name} - 1")
        if isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
            self.add(node, ("minmax",), f"{node.func.id} -> {'max' if node.func.id == 'min' else 'min'}")
        self.generic_visit(node)


def _skip_lines(source: str) -> set[int]:
    return {i for i, line in enumerate(source.splitlines(), 1) if line.rstrip().endswith("# pragma: no mutate")}


def _points(source: str) -> list[tuple[ast.AST, str, str]]:
    tree = ast.parse(source)
    walker = _Points(_skip_lines(source))
    walker.visit(tree)
    return walker.points, tree


def mutants_of(path: Path) -> list[Mutant]:
    source = path.read_text(encoding="utf-8")
    rel = path.relative_to(ROOT).as_posix()
    module = rel[:-3].replace("/", ".").removesuffix(".__init__")
    points, _ = _points(source)
    return [Mutant(module, rel, i, node.lineno, how_text, cover)
            for i, (node, _, how_text, cover) in enumerate(points)]


def mutated_code(path: Path, index: int):
    """The module's code object with mutation point `index` applied."""
    source = path.read_text(encoding="utf-8")
    points, tree = _points(source)
    node, how, _, _ = points[index]
    kind = how[0]
    if kind == "compare":
        node.ops[how[1]] = _COMPARE_SWAP[type(node.ops[how[1]])]()
    elif kind == "bool":
        node.value = not node.value
    elif kind == "int":
        node.value = node.value + how[1]
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "not":
        _replace_not(tree, node)
    elif kind == "range":
        _, i, delta = how
        arg = node.args[i]
        node.args[i] = ast.BinOp(arg, ast.Add() if delta > 0 else ast.Sub(), ast.Constant(1))
    elif kind == "minmax":
        node.func.id = "max" if node.func.id == "min" else "min"
    ast.fix_missing_locations(tree)
    return compile(tree, str(path), "exec")


def _replace_not(tree, target):
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, name, target.operand)
                return
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is target:
                        value[i] = target.operand
                        return


def all_mutants(only: list[str] | None = None) -> list[Mutant]:
    out = []
    for layer in LAYERS:
        for path in sorted((PACKAGE / layer).glob("*.py")):
            rel = path.relative_to(PACKAGE).as_posix()
            if only and not any(rel.startswith(o) or o in rel for o in only):
                continue
            out.extend(mutants_of(path))
    return out


# ---------------------------------------------------------------------------------------------
# Which tests cover which line


def coverage_map(tests: list[str], cache: Path) -> tuple[dict, dict]:
    """{(path, line): [test node ids]} and {test node id: seconds}, from one run under coverage."""
    if cache.is_file():
        data = json.loads(cache.read_text())
        return {tuple(json.loads(k)): v for k, v in data["lines"].items()}, data["durations"]
    import coverage

    work = Path(tempfile.mkdtemp(prefix="mutation-cov-"))
    rc = work / ".coveragerc"
    rc.write_text(f"[run]\ndata_file = {work / 'data'}\n")
    durations = work / "durations.json"
    plugin = work / "mutation_durations.py"
    plugin.write_text(
        "import json\n_d = {}\n"
        "def pytest_runtest_logreport(report):\n"
        "    _d[report.nodeid] = _d.get(report.nodeid, 0) + report.duration\n"
        f"def pytest_sessionfinish(session):\n    open({str(durations)!r}, 'w').write(json.dumps(_d))\n")
    env = {**os.environ, "RATINGS_ENGINE_DERANDOMIZE": "1",
           "PYTHONPATH": f"{work}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    print(f"coverage run of {len(tests)} test files (once; cached in {cache})...", flush=True)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider",
                           "-p", "mutation_durations", f"--cov={PACKAGE}", f"--cov-config={rc}", "--cov-context=test",
                           "--cov-report=", *tests], cwd=ROOT, env=env)
    if done.returncode != 0:
        raise SystemExit("the test subset must pass before mutation testing")
    cov = coverage.Coverage(data_file=str(work / "data"), config_file=str(rc))
    cov.load()
    data = cov.get_data()
    lines: dict = {}
    for file in data.measured_files():
        rel = Path(file).resolve().relative_to(ROOT).as_posix()
        for line, contexts in data.contexts_by_lineno(file).items():
            # "" is import time (module-level code): every test depends on it
            lines[(rel, line)] = sorted({c.split("|")[0] for c in contexts})
    times = json.loads(durations.read_text())
    cache.write_text(json.dumps({"lines": {json.dumps(list(k)): v for k, v in lines.items()}, "durations": times}))
    return lines, times


# ---------------------------------------------------------------------------------------------
# Running mutants


class _MutatedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, module: str, path: Path, code):
        self.module, self.path, self.code = module, path, code

    def find_spec(self, fullname, path, target=None):
        if fullname != self.module:
            return None
        return importlib.util.spec_from_file_location(fullname, self.path, loader=self,
                                                      submodule_search_locations=None)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(self.code, module.__dict__)


def _child(mutant: Mutant, node_ids: list[str]) -> None:
    path = ROOT / mutant.path
    code = mutated_code(path, mutant.index)
    sys.meta_path.insert(0, _MutatedFinder(mutant.module, path, code))
    import pytest

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    code = pytest.main(["-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider", "--no-header", "-o",
                        "addopts=", *node_ids])
    atexit._run_exitfuncs()  # conftest's temporary rulebook cache (os._exit skips atexit)
    os._exit(int(code))


#: pytest's exit codes: 1 a test failed, 2 interrupted (a collection error: the mutant broke an import),
#: 4 conftest.py failed to import (the mutant breaks what it loads, e.g. a shipped rulebook no longer
#: validates; the node ids come from the coverage run of the same tree, so they are not the cause).
#: 3 (internal error) and 5 (no tests ran) mean the tool is wrong, not the mutant killed.
_KILLED_CODES = {1, 2, 4}
_CHILD_BROKE = 99


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="modules to mutate, e.g. rating/rate.py engine/")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--budget", type=float, default=40,
                        help="seconds of tests (as timed in the coverage run) per mutant, fastest tests first")
    parser.add_argument("--timeout", type=float, default=60,
                        help="a mutant's tests may take 4x their timed duration plus this before it counts as "
                             "killed by timeout")
    parser.add_argument("--min-score", type=float, default=97.0)
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--cache", type=Path, default=ROOT / ".mutation-coverage.json",
                        help="coverage map cache (delete it after changing tests or code)")
    parser.add_argument("--json", type=Path, help="write every mutant's result here")
    parser.add_argument("--retry", type=Path, help="a --json file of an earlier run: keep its kills, run only its "
                                                   "survivors again (after adding tests)")
    args = parser.parse_args(argv)

    mutants = all_mutants(args.only)
    if args.list:
        for m in mutants:
            print(f"{m.id:45} {m.description}")
        print(f"{len(mutants)} mutants")
        return 0
    os.environ["RATINGS_ENGINE_DERANDOMIZE"] = "1"
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    lines, times = coverage_map(TESTS, args.cache)
    # warm the parent: third-party imports shared by every forked child (never the package itself)
    import click  # noqa: F401
    import hypothesis  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pydantic  # noqa: F401
    import pytest  # noqa: F401
    import ruamel.yaml  # noqa: F401
    import tabulate  # noqa: F401
    import durable.engine  # noqa: F401

    assert "ratings_engine" not in sys.modules
    started = time.monotonic()
    results: dict[Mutant, str] = {}
    queue = []
    earlier = {}
    if args.retry:
        earlier = {(e["path"], e["index"], e["description"]): e["result"] for e in json.loads(args.retry.read_text())}
    for m in mutants:
        if earlier.get((m.path, m.index, m.description)) in ("killed", "timeout"):
            results[m] = earlier[(m.path, m.index, m.description)]
            continue
        contexts = lines.get((m.path, m.cover_line))
        if contexts is None:
            results[m] = "no coverage"
            continue
        # The module's own test files first (a test file naming the module, or tests/test_<layer>_*.py:
        # hundreds of fast tests run the commonest code, and would spend the budget before the tests
        # written for it), then fastest first.
        stem, layer = Path(m.path).stem, Path(m.path).parent.name

        def own(node: str) -> bool:
            name = Path(node.split("::")[0]).stem
            return stem in name.split("_") or stem in name or name.startswith(f"test_{layer}_")

        ids = [c for c in contexts if c]
        if not ids or "" in contexts:
            # import-time code (a constant, a class body): the tests that run the module's code, and
            # every test of its own test files (a test may read a constant without running a line)
            ids = sorted({c for (path, _), cs in lines.items() if path == m.path for c in cs if c}
                         | {n for n in times if own(n)})

        ids = sorted(ids, key=lambda n: (not own(n), times.get(n, 1.0)))
        chosen, spent = [], 0.0
        for n in ids:  # fastest first, up to the budget (a survivor found this way is checked by hand)
            if chosen and spent + times.get(n, 1.0) > args.budget:
                break
            chosen.append(n)
            spent += times.get(n, 1.0)
        queue.append((m, chosen, spent))
    print(f"{len(mutants)} mutants, {len(queue)} covered; {args.jobs} at a time", flush=True)
    # a simple pool of forked children
    pending = list(queue)
    active: list = []
    while pending or active:
        while pending and len(active) < args.jobs:
            m, ids, expected = pending.pop(0)
            pid = os.fork()
            if pid == 0:
                try:
                    os.chdir(ROOT)
                    _child(m, ids)
                except BaseException:  # noqa: BLE001
                    os._exit(_CHILD_BROKE)
            active.append((pid, m, time.monotonic(), 4 * expected + args.timeout))
        time.sleep(0.05)
        for entry in list(active):
            pid, m, t0, limit = entry
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                # a negative code: the mutant crashed the test process (a signal, e.g. SIGSEGV inside
                # durable_rules): the suite would fail, so it is killed
                results[m] = ("survived" if code == 0 else "killed" if code in _KILLED_CODES or code < 0
                              else f"error {code}")
            elif time.monotonic() - t0 > limit:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                results[m] = "timeout"
            else:
                continue
            active.remove(entry)
            if results[m] == "survived" or results[m].startswith("error"):
                print(f"  {results[m].upper()} {m.id} {m.description}", flush=True)
            n = len(results)
            if n % 25 == 0:
                tally = {r: sum(1 for x in results.values() if x == r) for r in ("killed", "timeout", "survived")}
                print(f"  {n}/{len(mutants)} done in {time.monotonic() - started:.0f} s: {tally}", flush=True)
    killed = sum(1 for r in results.values() if r in ("killed", "timeout"))
    survivors = sorted((m for m, r in results.items() if r not in ("killed", "timeout")),
                       key=lambda m: (m.path, m.line, m.index))
    score = 100 * killed / len(results) if results else 100.0
    print(f"\nmutation score {score:.1f}%: {killed} of {len(results)} mutants killed "
          f"({sum(1 for r in results.values() if r == 'timeout')} by timeout) in {time.monotonic() - started:.0f} s")
    for layer in LAYERS:
        mine = [r for m, r in results.items() if m.path.startswith(f"ratings_engine/{layer}/")]
        if mine:
            k, t = sum(1 for r in mine if r == "killed"), sum(1 for r in mine if r == "timeout")
            print(f"  {layer:7} {len(mine):5} mutants, {k} killed, {t} timeouts, {len(mine) - k - t} survivors: "
                  f"{100 * (k + t) / len(mine):.1f}%")
    for m in survivors:
        print(f"  {results[m]:12} {m.id:45} {m.description}")
    if args.json:
        args.json.write_text(json.dumps([{**m.__dict__, "id": m.id, "result": results[m]} for m in mutants], indent=1))
    return 0 if score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
