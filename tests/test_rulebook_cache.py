"""The rulebook cache: a validated rulebook file is read back without parsing or validating, equal
to the validated one; anything corrupt, foreign or stale in the cache is ignored, never trusted."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ratings_engine.io import rulebook_cache, rulebooks
from ratings_engine.io.rulebooks import load_rulebook_file, rules_dir
from ratings_engine.model.errors import RulebookError

SHIPPED = sorted(p for p in rules_dir().glob("*.yaml"))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh, empty cache folder for one test; returns the folder of its entries."""
    monkeypatch.setenv(rulebook_cache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "rulebooks"


@pytest.fixture
def no_parsing(monkeypatch):
    """Parsing a rulebook file fails: what loads now comes from the cache."""
    def refuse(raw, source):
        raise AssertionError(f"{source} was parsed")
    monkeypatch.setattr(rulebooks, "parse_rulebook_yaml", refuse)


def entries(folder):
    return sorted(folder.glob("*.json"))


def validated(path):
    """The rulebook of a file, parsed and validated (the cache switched off)."""
    import os
    old = os.environ.get(rulebook_cache.CACHE_ENV)
    os.environ[rulebook_cache.CACHE_ENV] = "off"
    try:
        return load_rulebook_file(path).rulebook
    finally:
        os.environ[rulebook_cache.CACHE_ENV] = old


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_cached_rulebook_equals_the_validated_one(cache, path, monkeypatch):
    fresh = validated(path)
    first = load_rulebook_file(path).rulebook
    extends = "\nextends:" in "\n" + path.read_text(encoding="utf-8")
    assert len(entries(cache)) == (0 if extends else 1)
    if extends:
        return
    monkeypatch.setattr(rulebooks, "parse_rulebook_yaml", lambda raw, source: pytest.fail("parsed again"))
    again = load_rulebook_file(path)
    assert again.rulebook == first == fresh
    assert again.rulebook.sha256 == first.sha256
    assert again.rulebook.model_dump(mode="json") == first.model_dump(mode="json")
    assert again.file_sha256 == rulebook_cache.hashlib.sha256(path.read_bytes()).hexdigest()
    entry = json.loads(entries(cache)[0].read_text(encoding="utf-8"))  # plain JSON: nothing to unpickle
    assert entry["sha256"] == first.sha256 and json.loads(entry["rulebook"]) == json.loads(first.canonical_json)


def copy_of_shipped(tmp_path, text_change=None):
    text = (rules_dir() / "probation-pdu-2021.yaml").read_text(encoding="utf-8")
    path = tmp_path / "mine.yaml"
    path.write_text(text if text_change is None else text_change(text), encoding="utf-8")
    return path


def test_a_corrupt_entry_is_ignored_and_rewritten(cache, tmp_path):
    path = copy_of_shipped(tmp_path)
    good = load_rulebook_file(path).rulebook
    (entry,) = entries(cache)
    for garbage in (b"", b"\x00\xff not json", b'{"identity": 1}', b"[]", entry.read_bytes()[:100]):
        entry.write_bytes(garbage)
        assert load_rulebook_file(path).rulebook == good
        assert json.loads(entry.read_text(encoding="utf-8"))["sha256"] == good.sha256  # rewritten


def test_an_entry_whose_rulebook_does_not_match_its_hash_is_ignored(cache, tmp_path, no_parsing, monkeypatch):
    monkeypatch.undo()  # parse for the first load
    monkeypatch.setenv(rulebook_cache.CACHE_ENV, str(cache.parent))
    path = copy_of_shipped(tmp_path)
    good = load_rulebook_file(path).rulebook
    (entry,) = entries(cache)
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["rulebook"] = data["rulebook"].replace('"min":"80"', '"min":"70"')
    assert data["rulebook"] != json.loads(entry.read_text(encoding="utf-8"))["rulebook"]
    entry.write_text(json.dumps(data), encoding="utf-8")
    again = load_rulebook_file(path).rulebook
    assert again == good and again.key_question_bands.rows[0].min == 80


def test_an_entry_of_another_version_or_file_is_not_used(cache, tmp_path, monkeypatch):
    path = copy_of_shipped(tmp_path)
    load_rulebook_file(path)
    monkeypatch.setattr(rulebook_cache, "__version__", "99.0")
    (entry,) = entries(cache)
    data = json.loads(entry.read_text(encoding="utf-8"))
    calls = []
    real = rulebooks.parse_rulebook_yaml
    monkeypatch.setattr(rulebooks, "parse_rulebook_yaml", lambda raw, source: calls.append(source) or real(raw, source))
    # The old version's entry, copied under the new version's name, says whose it is: ignored.
    identity = rulebook_cache._identity(path, data["identity"]["file_sha256"])
    rulebook_cache._entry_path(cache, identity).write_text(json.dumps(data), encoding="utf-8")
    load_rulebook_file(path)
    assert calls == [str(path)]
    assert len(entries(cache)) == 2  # one entry per version


def test_an_edited_file_is_validated_again(cache, tmp_path):
    path = copy_of_shipped(tmp_path)
    assert load_rulebook_file(path).rulebook.key_question_bands.rows[0].min == 80
    path.write_text(path.read_text(encoding="utf-8").replace("min: 80", "min: 81", 1), encoding="utf-8")
    assert load_rulebook_file(path).rulebook.key_question_bands.rows[0].min == 81
    path.write_text(path.read_text(encoding="utf-8").replace("min: 81", "mni: 81", 1), encoding="utf-8")
    with pytest.raises(RulebookError, match="mni"):
        load_rulebook_file(path)


def test_the_cache_can_be_switched_off_or_unwritable(tmp_path, monkeypatch):
    monkeypatch.setenv(rulebook_cache.CACHE_ENV, "off")
    path = copy_of_shipped(tmp_path)
    assert rulebook_cache.cache_dir() is None
    load_rulebook_file(path)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv(rulebook_cache.CACHE_ENV, str(blocked))
    assert load_rulebook_file(path).rulebook.id == "probation-pdu-2021"


def test_rate_gives_the_same_bytes_with_and_without_the_cache(tmp_path):
    cases = rules_dir().parent / "cases"
    command = [sys.executable, "-m", "ratings_engine", "pdu", str(cases / "redcar-cleveland-middlesbrough.csv"),
               "-j", str(cases / "redcar-cleveland-middlesbrough-judgements.csv"), "--format", "json"]
    outputs = []
    for setting in ("off", str(tmp_path / "c"), str(tmp_path / "c")):  # no cache, cold cache, warm cache
        env = {**__import__("os").environ, rulebook_cache.CACHE_ENV: setting}
        outputs.append(subprocess.run(command, capture_output=True, env=env, check=True).stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(list((tmp_path / "c" / "rulebooks").glob("*.json"))) == 1


def test_an_entry_whose_typed_tree_differs_from_its_hashed_text_is_ignored(cache, tmp_path):
    path = copy_of_shipped(tmp_path)
    good = load_rulebook_file(path).rulebook
    (entry,) = entries(cache)
    data = json.loads(entry.read_text(encoding="utf-8"))
    text = json.dumps(data["tree"]).replace('{"$decimal": "80"}', '{"$decimal": "70"}', 1)
    assert text != json.dumps(data["tree"])
    data["tree"] = json.loads(text)
    entry.write_text(json.dumps(data), encoding="utf-8")
    assert load_rulebook_file(path).rulebook.key_question_bands.rows[0].min == 80 == good.key_question_bands.rows[0].min


def test_a_rulebook_from_the_cache_is_a_frozen_record_that_reads_like_the_model(cache, tmp_path):
    path = copy_of_shipped(tmp_path)
    validated_rb = load_rulebook_file(path).rulebook
    cached = load_rulebook_file(path).rulebook
    assert type(cached).__module__ == "ratings_engine.model.light"
    with pytest.raises(AttributeError):
        cached.id = "other"
    row = cached.key_question_bands.rows[1]
    assert (row.id, row.min, row.below, row.then) == ("kq-good", 65, 80, "Good")
    assert dict(cached.scores.provenance) == dict(validated_rb.scores.provenance)
    assert cached.standards_by_id["2.2"].key_questions[0].id == "2.2.1" and cached.rank("Good") == 2
    assert hash(cached.overall.limits.rows[0]) == hash(load_rulebook_file(path).rulebook.overall.limits.rows[0])
    assert cached.effective.from_ == validated_rb.effective.from_ and cached.effective.covers(validated_rb.effective.from_)
    assert list(type(cached.policies).model_fields) == list(type(validated_rb.policies).model_fields)
    assert cached.model_dump(mode="json", by_alias=True, exclude_none=True) == \
        validated_rb.model_dump(mode="json", by_alias=True, exclude_none=True)
    import pickle
    again = pickle.loads(pickle.dumps(cached))
    assert again == cached and again.sha256 == cached.sha256 and again.rank("Good") == 2


def test_rate_from_a_warm_cache_imports_neither_pydantic_nor_ruamel(tmp_path):
    cases = rules_dir().parent / "cases"
    script = ("import sys; from ratings_engine.cli import main; sys.argv = ['rate', 'pdu', sys.argv[1], '-j', sys.argv[2]]\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print(sorted(m for m in ('pydantic', 'ruamel.yaml') if m in sys.modules), file=sys.stderr)")
    env = {**__import__("os").environ, rulebook_cache.CACHE_ENV: str(tmp_path / "c")}
    runs = [subprocess.run([sys.executable, "-c", script, str(cases / "redcar-cleveland-middlesbrough.csv"),
                            str(cases / "redcar-cleveland-middlesbrough-judgements.csv")],
                           capture_output=True, text=True, env=env, check=True) for _ in range(2)]
    assert runs[0].stderr.strip().endswith("['pydantic', 'ruamel.yaml']")  # cold: parsed and validated
    assert runs[1].stderr.strip().endswith("[]")  # warm: neither imported
    assert runs[0].stdout == runs[1].stdout and "Overall rating: Requires improvement" in runs[1].stdout


# ---------------------------------------------------------------------------------------------
# What-if variants (`--set`, each value of a sweep)

GOOD_70 = ["key_question_bands.rows[kq-good].min=70", "key_question_bands.rows[kq-requires-improvement].below=70"]


def test_a_variant_is_validated_once_then_read_back_equal(cache, monkeypatch):
    base = rulebooks.load_rulebook("probation-pdu-2021")
    fresh = rulebooks.with_changes(base, GOOD_70)
    assert len(entries(cache / rulebook_cache.VARIANTS)) == 1
    monkeypatch.setattr(rulebooks, "rulebook_from_mapping", lambda *a, **k: pytest.fail("validated again"))
    again = rulebooks.with_changes(base, GOOD_70)
    assert type(again).__name__ == "RulebookRecord" and again == fresh and again.sha256 == fresh.sha256
    assert again.key_question_bands.rows[1].min == 70
    assert rulebooks.value_at(again, "key_question_bands.rows[kq-good].min") == "70"  # as the JSON dump writes it


def test_a_variant_entry_is_keyed_by_the_base_content_and_the_changes(cache):
    base = rulebooks.load_rulebook("probation-pdu-2021")
    a = rulebooks.with_changes(base, GOOD_70)
    b = rulebooks.with_changes(base, [c.replace("70", "71") for c in GOOD_70])
    other = rulebooks.load_rulebook("probation-pdu-2023")
    c = rulebooks.with_changes(other, GOOD_70)  # the same changes to another base: its own entry
    assert len(entries(cache / rulebook_cache.VARIANTS)) == 3
    assert a.key_question_bands.rows[1].min == 70 and b.key_question_bands.rows[1].min == 71
    assert c.id == other.id and a.id == base.id
    assert rulebooks.with_changes(base, GOOD_70) == a and rulebooks.with_changes(other, GOOD_70) == c


def test_a_refused_variant_is_not_kept(cache):
    base = rulebooks.load_rulebook("probation-pdu-2021")
    for _ in range(2):
        with pytest.raises(RulebookError, match="kq-good"):
            rulebooks.with_changes(base, ["key_question_bands.rows[kq-good].min=not a number"])
    assert entries(cache / rulebook_cache.VARIANTS) == []


def test_the_variants_folder_keeps_the_latest_entries(cache, monkeypatch):
    import os

    monkeypatch.setattr(rulebook_cache, "MAX_VARIANTS", 4)
    base = rulebooks.load_rulebook("probation-pdu-2021")
    folder = cache / rulebook_cache.VARIANTS
    for i, value in enumerate(range(60, 65)):
        before = set(entries(folder))
        rulebooks.with_changes(base, [f"key_question_bands.rows[kq-good].min={value}",
                                      f"key_question_bands.rows[kq-requires-improvement].below={value}"])
        if i < 4:  # written in this order, whatever the clock's grain (the fifth keeps today's time)
            (written,) = set(entries(folder)) - before
            os.utime(written, (1_000_000 + i, 1_000_000 + i))
    # the fifth write went over 4: the oldest were removed down to 4 // 2, the two latest kept
    left = entries(folder)
    assert len(left) == 2
    newest = [json.loads(p.read_text())["identity"]["changes"][0] for p in left]
    assert sorted(newest) == ["key_question_bands.rows[kq-good].min=63", "key_question_bands.rows[kq-good].min=64"]


def test_a_warm_sweep_imports_no_pydantic(tmp_path):
    cases = rules_dir().parent / "cases"
    script = ("import sys; from ratings_engine.cli import main; sys.argv = ['rate', 'sweep', sys.argv[1], '--vary', "
              "'key_question_bands.rows[kq-good].min', '--vary', 'key_question_bands.rows[kq-requires-improvement].below', "
              "'--values', '60,70', '--rules', 'probation-pdu-2021', '-q']\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print('pydantic' in sys.modules, file=sys.stderr)")
    env = {**__import__("os").environ, rulebook_cache.CACHE_ENV: str(tmp_path / "c")}
    runs = [subprocess.run([sys.executable, "-c", script, str(cases / "redcar-cleveland-middlesbrough.csv")],
                           capture_output=True, text=True, env=env, check=True) for _ in range(2)]
    assert runs[0].stderr.strip().endswith("True")  # cold: the variants were validated
    assert runs[1].stderr.strip().endswith("False")
    assert runs[0].stdout == runs[1].stdout and "60" in runs[1].stdout
