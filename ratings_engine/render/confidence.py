"""Confidence results (`toolkit.confidence.ConfidenceReport`) as text, markdown or JSON."""
from __future__ import annotations

from ..engine.bulk import label
from ..toolkit.confidence import ConfidenceReport, Distribution
from ..model.text import printable
from .markdown import md_escape
from .text_table import Styled, line, table


def to_text(report: ConfidenceReport, markdown: bool = False) -> str:
    rb = report.rulebook
    fmt = "github" if markdown else "simple"
    scale = list(reversed(rb.ratings))
    pct = report.level
    lines: list[str] = []

    def cell(dist: Distribution, code: int) -> str:
        p = dist.probability(code)
        return f"{100 * p:.1f}%" if p else ""

    def verdict(dist: Distribution, level: str) -> tuple[str, str]:
        code, p = dist.most_likely
        return f"{label(rb, code, level)} ({100 * p:.1f}%)", Styled("FRAGILE", "warn") if report.is_fragile(dist) else ""

    for u in report.units:
        head = (f"{md_escape(u.unit) if markdown else printable(u.unit)}: {u.cases} cases, {report.resamples} bootstrap resamples (seed {report.seed}), "
                f"{pct:.0%} {'Wilson' if report.method == 'wilson' else 'exact'} intervals")
        lines += [f"## {head}" if markdown else line(head, hanging="  "), ""]
        rows = []
        for k in u.key_questions:
            shown = "" if not k.applicable else f"{100 * k.sufficient / k.applicable:.1f}"
            bounds = "" if k.interval is None else f"{k.interval[0]:.1f} - {k.interval[1]:.1f}"
            rows.append([k.id, f"{k.sufficient}/{k.applicable}", shown, bounds, label(rb, k.rating, "key_question"),
                         cell(k.distribution, k.rating)])
        if rows:
            lines.append(table(rows, headers=["Key question", "Sufficient/applicable", "%", f"{pct:.0%} interval", "Rating",
                                                 "P(same rating)"], fmt=fmt))
            lines.append("")
        extra = sorted({c for s in u.standards for c in s.distribution.counts if c < 0}, reverse=True)
        rows = []
        for s in u.standards:
            name = f"{s.id} {s.name}"
            if s.basis == "judgement":
                rows.append([name, label(rb, s.rating), *([""] * (len(scale) + len(extra))), "fixed (judgement)", ""])
                continue
            probs = [cell(s.distribution, rb.rank(r)) for r in scale] + [cell(s.distribution, c) for c in extra]
            rows.append([name, label(rb, s.rating), *probs, *verdict(s.distribution, "standard")])
        o = u.overall_distribution
        o_extra = sorted((c for c in o.counts if c < 0), reverse=True)
        lines.append(table(rows, headers=["Standard", "Sample rating", *scale, *(label(rb, c) for c in extra),
                                             "Most likely", "Fragile"], fmt=fmt))
        lines.append("")
        sample = label(rb, u.overall, "overall")
        if u.overall_status == "partial":
            sample += " (PARTIAL)"
        orow = [f"Overall ({u.score}/{u.max_score})", sample, *[cell(o, rb.rank(r)) for r in scale],
                *[cell(o, c) for c in o_extra], *verdict(o, "overall")]
        lines.append(table([orow], headers=["", "Sample rating", *scale, *(label(rb, c, "overall") for c in o_extra),
                                               "Most likely", "Fragile"], fmt=fmt))
        lines.append("")
    lines += ["- " + n if markdown else line(n, hanging="  ") for n in report.notes]
    lines.append(f"{'- ' if markdown else ''}Rulebook: {rb.id} version {rb.version} (sha256 {rb.sha256[:12]})")
    return "\n".join(lines) + "\n"


def to_json(report: ConfidenceReport) -> str:
    import json

    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
