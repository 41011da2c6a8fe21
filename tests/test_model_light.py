"""Rulebook records rebuilt from the cache's typed tree (model.light) and pydantic models rebuilt
without validation (model.trusted): they must read exactly like the validated rulebook.

Expected values are the validated pydantic rulebook itself (an independent path: validation from
the YAML) or written out by hand from the shipped YAML file.
"""
from __future__ import annotations

import json
import pickle
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel
from ruamel.yaml import YAML

from ratings_engine.model.light import rulebook_from_tree, tree_of
from ratings_engine.model.rulebook import validate_rulebook

RULES = Path(__file__).resolve().parents[1] / "rules"


@pytest.fixture(scope="module")
def validated():
    data = YAML(typ="safe", pure=True).load((RULES / "probation-pdu-2021.yaml").read_text(encoding="utf-8"))
    return validate_rulebook(data, "probation-pdu-2021.yaml")


def _record(rb):
    tree = json.loads(json.dumps(tree_of(rb)))  # as the cache stores it: JSON only
    return rulebook_from_tree(tree, rb.canonical_json, rb.sha256)


def _fields(tree) -> dict:
    return {name: (alias, value, kept) for name, alias, value, kept in tree["fields"]}


def test_the_typed_tree_names_models_fields_aliases_and_what_the_hash_covers(validated):
    tree = json.loads(json.dumps(tree_of(validated)))
    assert tree["$model"] == "Rulebook"
    fields = _fields(tree)
    # from the YAML file: id probation-pdu-2021, unit_kind given; not experimental, no pooling (defaults:
    # left out of the canonical JSON, so hashes are unchanged by newer optional keys)
    assert fields["id"] == ("id", "probation-pdu-2021", True)
    assert fields["unit_kind"] == ("unit_kind", "probation delivery unit", True)
    assert fields["experimental"] == ("experimental", False, False)
    assert fields["pooling"] == ("pooling", None, False)
    effective = _fields(fields["effective"][1])
    assert effective["from_"][0] == "from" and effective["from_"][2] is True  # the alias, a date marked as one
    assert set(effective["from_"][1]) == {"$date"}
    assert fields["ratings"][1] == ["Inadequate", "Requires improvement", "Good", "Outstanding"]
    assert fields["scores"][1]["$model"] == "Scores" and "$map" in _fields(fields["scores"][1])["values"][1]
    first_kq = _fields(_fields(_fields(fields["framework"][1][1])["standards"][1][0])["key_questions"][1][0])
    assert first_kq["basis"] == ("basis", "cases", False)  # at its default: not in the canonical JSON
    assert first_kq["id"][2] is True


def test_a_rebuilt_rulebook_equals_the_validated_one_and_another_rebuild(validated):
    record, again = _record(validated), _record(validated)
    assert record == validated and validated == record
    assert record == again and hash(record) == hash(again)
    assert record.canonical_json == validated.canonical_json and record.sha256 == validated.sha256
    bands, limits = record.key_question_bands, record.overall.limits
    assert bands.provenance == again.key_question_bands.provenance
    assert bands.provenance != limits.provenance  # different content, same model: not equal
    assert bands.rows[0] != bands.rows[1]
    assert isinstance(record.framework, tuple) and isinstance(bands.rows[0].min, (Decimal, type(None)))
    assert isinstance(record.effective.from_, date)


def test_a_record_equals_only_the_model_it_is_a_record_of(validated):
    provenance = _record(validated).key_question_bands.provenance

    class LookAlike(BaseModel):  # the same fields and values, another model
        grade: str
        source: str

    look_alike = LookAlike(grade=provenance.grade, source=provenance.source)
    assert provenance == validated.key_question_bands.provenance
    assert provenance != look_alike and look_alike != provenance


def test_plain_reads_of_a_record_never_build_the_pydantic_model(validated):
    provenance = _record(validated).key_question_bands.provenance
    assert dict(provenance) == {"grade": provenance.grade, "source": provenance.source}
    assert not hasattr(provenance, "_private") and not hasattr(provenance, "keys")
    assert "_model" not in provenance.__dict__  # pydantic is the slow path: used only when asked for
    assert provenance.model_dump() == dict(provenance)  # pydantic's own API: delegated
    assert "_model" in provenance.__dict__


def test_a_record_is_frozen_and_survives_pickling(validated):
    record = _record(validated)
    with pytest.raises(AttributeError):
        record.id = "other"
    hash(record)  # the hash is memoised inside the record: not part of its pickled state
    again = pickle.loads(pickle.dumps(record))
    assert again == record and again.key_question_bands.rows == record.key_question_bands.rows


def test_a_tree_that_does_not_hold_the_canonical_content_is_refused(validated):
    tree = json.loads(json.dumps(tree_of(validated)))
    for field in tree["fields"]:
        if field[0] == "title":
            field[2] = "another title"
    with pytest.raises(ValueError, match="canonical content"):
        rulebook_from_tree(tree, validated.canonical_json, validated.sha256)
    with pytest.raises(ValueError, match="canonical content"):  # a tree of a part, not of a rulebook
        rulebook_from_tree(_fields(tree)["effective"][1], validated.canonical_json, validated.sha256)


def test_pydantic_api_of_a_record_gives_the_validated_models_values_and_types(validated):
    record = _record(validated)
    # model_dump is delegated to a model rebuilt without validation (model.trusted): same values, same
    # types (tuples, Decimal, date, nested models, None for absent optional parts) as the validated one
    assert record.model_dump() == validated.model_dump()
    assert record.model_dump(mode="json", by_alias=True) == validated.model_dump(mode="json", by_alias=True)
    rebuilt = record._as_model()
    assert type(rebuilt) is type(validated) and rebuilt == validated
    assert type(rebuilt.effective.from_) is date and rebuilt.effective.to == validated.effective.to
    row = rebuilt.key_question_bands.rows[0]
    assert type(row) is type(validated.key_question_bands.rows[0]) and row.min == validated.key_question_bands.rows[0].min
    assert type(rebuilt.framework) is tuple and type(rebuilt.scores.values) is dict
    assert rebuilt.overall.limits.rows[0].provenance is None and rebuilt.pooling is None
