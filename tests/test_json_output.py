"""The JSON output is streamed unit by unit, compact by default and indented with --pretty, and is
byte for byte what encoding the whole documented `RatingReport.to_dict()` at once would give."""
from __future__ import annotations

import builtins
import json
from dataclasses import replace

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import CASES, cases_from_counts, judgements_frame, standard_counts

from ratings_engine import rate
from ratings_engine.cli import main
from ratings_engine.render import ratings as render

EXAMPLE = CASES / "redcar-cleveland-middlesbrough.csv"
JUDGEMENTS = CASES / "redcar-cleveland-middlesbrough-judgements.csv"


def whole(report, pretty: bool) -> str:
    """The document encoded at once by the json module: the reference the stream must equal."""
    data = report.to_dict()
    if pretty:
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"


def reports():
    example = rate(EXAMPLE, judgements=JUDGEMENTS)
    frames, judged = [], []
    for i, name in enumerate(["Ynys Môn \"north\"", "Zoë\tsouth", "Ålesund → east"]):
        counts = standard_counts("2.2", 3 + i, 4) | standard_counts("2.3", 9, i)
        frames.append(cases_from_counts(counts, unit=name))
        judged.append(judgements_frame({"1.1": "Good", "1.2": "Outstanding", "1.3": "Good", "1.4": "Inadequate"},
                                       unit=name).assign(reason="naïve \\ \"quoted\" \u2028 reason"))
    several = rate(pd.concat(frames, ignore_index=True), judgements=pd.concat(judged, ignore_index=True))
    return {"example": example, "several units, non-ASCII and escapes": several, "no units": replace(example, units=())}


@pytest.mark.parametrize("pretty", [False, True], ids=["compact", "pretty"])
def test_streamed_json_equals_the_whole_document_encoded_at_once(pretty):
    for name, report in reports().items():
        text = render.to_json(report, pretty=pretty)
        assert text == whole(report, pretty), name
        assert json.loads(text) == json.loads(whole(report, True))
        assert (text.count("\n") == 1) != pretty


@pytest.mark.parametrize("pretty", [False, True], ids=["compact", "pretty"])
def test_without_orjson_the_json_module_writes_the_same_bytes(pretty, monkeypatch):
    expected = {name: render.to_json(report, pretty=pretty) for name, report in reports().items()}
    real_import = builtins.__import__

    def no_orjson(name, *args, **kwargs):
        if name == "orjson":
            raise ImportError("no orjson here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_orjson)
    for name, report in reports().items():
        assert render.to_json(report, pretty=pretty) == expected[name], name


def test_rate_pdu_writes_compact_json_and_indented_with_pretty(tmp_path):
    report = rate(EXAMPLE, judgements=JUDGEMENTS)
    args = ["pdu", str(EXAMPLE), "-j", str(JUDGEMENTS), "--format", "json"]
    compact = CliRunner().invoke(main, args)
    pretty = CliRunner().invoke(main, [*args, "--pretty"])
    assert compact.exit_code == 0 and pretty.exit_code == 0, compact.output + pretty.output
    assert compact.stdout == whole(report, False)
    assert pretty.stdout == whole(report, True)
    out = tmp_path / "ratings.json"
    written = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert written.exit_code == 0 and out.read_text(encoding="utf-8") == compact.stdout
