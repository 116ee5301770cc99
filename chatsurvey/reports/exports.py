"""Anonymised raw data for a council: CSV, and a FLOIP Flow Results data package.

The same protection as the report, for rows instead of cells:

- only a sealed round can be exported (live data, or data before and after a late
  finisher, could be linked to a child);
- no free text (comments and open answers stay out: free text is the most
  identifying field), no week, channel, language, flow version or whether
  someone helped: timing and channel let a worker who knows who answered when
  link a row to a child;
- each row gets a fresh random id for this export only;
- k-anonymity: every combination of age band and the background answers kept
  (gender, placement type, ...: ``REPORT_QUASI_IDENTIFIERS``) is shared by at
  least ``k`` (10) rows. Where it is not, the rare answers are broadened
  (``REPORT_GENERALISE``) or left blank, like a skipped question, so a blank
  never marks a rare group; a column with nothing left is dropped. An export
  of fewer than ``k`` rows holds no rows at all.

FLOIP: https://github.com/FLOIP/flow-results (specification 1.0.0-rc1): a
``datapackage.json`` describing the questions and one CSV of
(timestamp, row_id, contact_id, session_id, question_id, response,
response_metadata). Every timestamp is the round's closing time: the real
time of an answer is not kept anywhere.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import select

from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.reports.rules import Rules
from chatsurvey.responses.models import Response
from chatsurvey.rounds.models import SurveyRound
from chatsurvey.rounds.sealing import is_sealed, seals_at

FLOIP_VERSION = "1.0.0-rc1"
FLOIP_TYPES = {"choice": "select_one", "yesno": "select_one", "frequency": "select_one",
               "faces": "select_one", "multi": "select_many", "scale": "numeric",
               "number": "numeric"}


class ExportRefused(RuntimeError):
    """The export would break a rule (a round still open)."""


@dataclass
class Question:
    key: str
    label: str
    type: str
    choices: list[str] = field(default_factory=list)


@dataclass
class RawExport:
    """Rows ready to write, after k-anonymity; ``notes`` says what was broadened or dropped."""

    tenant_slug: str
    round_name: str
    closes_at: Any
    columns: list[str]
    rows: list[dict[str, Any]]
    questions: dict[str, Question]
    notes: list[str]


def _questions(survey_round: SurveyRound) -> tuple[dict[str, Question], set[str]]:
    """Closed questions of the round's flows (key -> Question), and the open (text) keys."""
    from chatsurvey.flows.store import flow_store

    found: dict[str, Question] = {}
    open_keys: set[str] = set()
    pairs = db.session.execute(select(Response.flow_id, Response.flow_version)
                               .where(Response.round_id == survey_round.id).distinct()).all()
    for flow_id, version in sorted(pairs):
        try:
            flow = flow_store().get(flow_id, version)
        except KeyError:
            continue
        for node in flow.questions():
            if not node.key or not node.record:
                continue
            if node.ask == "text" or node.personal:
                open_keys.add(node.key)
                continue
            if node.key in found or node.ask not in FLOIP_TYPES:
                continue
            try:
                label = " ".join(flow.texts.text(node.prompt, "en", "web").split())
            except KeyError:
                label = node.key.replace("_", " ")
            choices = [str(o.value) for o in node.options]
            found[node.key] = Question(node.key, label, FLOIP_TYPES[node.ask], choices)
    return found, open_keys


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(map(str, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _suppress(rows: list[dict[str, str]], parents: list[str], column: str, k: int) -> int:
    """Blank ``column`` where fewer than k rows of a parent class share its value.

    A parent class is the rows agreeing on ``parents``. Blanked values join the
    rows that skipped the question (""), and when that group is itself under
    k the next smallest value is blanked too, so "" never marks a rare group.
    Returns how many values were blanked.
    """
    classes: dict[tuple, list[dict[str, str]]] = {}
    for r in rows:
        classes.setdefault(tuple(r.get(p, "") for p in parents), []).append(r)
    blanked = 0
    for members in classes.values():
        groups: dict[str, list[dict[str, str]]] = {}
        for r in members:
            groups.setdefault(r.get(column, ""), []).append(r)
        blank = groups.pop("", [])
        for value in [v for v, g in groups.items() if len(g) < k]:
            blank += groups.pop(value)
        while blank and len(blank) < k and groups:
            blank += groups.pop(min(groups, key=lambda v: (len(groups[v]), v)))
        for r in blank:
            if r.get(column, ""):
                r[column] = ""
                blanked += 1
    return blanked


def k_anonymise(rows: list[dict[str, str]], quasi: Sequence[str], k: int,
                generalise: Mapping[str, Mapping[str, str]]) -> tuple[list[str], list[str]]:
    """Make every (age_band, *quasi kept) combination hold at least k rows, in place.

    Columns are added one at a time in ``quasi`` order; within each class the
    values too rare to keep are blanked (after trying the broader groups of
    ``generalise``, kept when they blank fewer); a column left with nothing
    is dropped. Returns (quasi-identifier columns kept, notes for people).
    Rows are changed, never dropped, unless there are fewer than k (then all are).
    """
    if len(rows) < k:
        rows.clear()
        return [], [f"fewer than {k} responses: no rows can be released"]
    notes: list[str] = []
    if _suppress(rows, [], "age_band", k):
        notes.append("age band left blank where too few young people shared it")
    kept: list[str] = []
    for column in quasi:
        if not any(r.get(column) for r in rows):
            continue
        original = [r.get(column, "") for r in rows]
        blanked = _suppress(rows, ["age_band", *kept], column, k)
        if blanked and column in generalise:
            trial = [dict(r) for r in rows]
            for r, value in zip(trial, original, strict=True):
                r[column] = generalise[column].get(value, value)
            broad = _suppress(trial, ["age_band", *kept], column, k)
            if broad < blanked:
                rows[:] = trial
                blanked = broad
                notes.append(f"{column.replace('_', ' ')} broadened to wider groups")
        name = column.replace("_", " ")
        if not any(r.get(column) for r in rows):
            for r in rows:
                r.pop(column, None)
            notes.append(f"{name} left out: too few young people shared each answer")
            continue
        if blanked:
            notes.append(f"{name} left blank for young people with rare answers")
        kept.append(column)
    return kept, notes


def raw_export(tenant: Tenant, survey_round: SurveyRound, rules: Rules,
               now: Any = None) -> RawExport:
    """The round's responses as anonymised rows (ExportRefused while the round is open)."""
    if not is_sealed(survey_round, now):
        raise ExportRefused(f"This round is not final yet: raw data can be exported from "
                            f"{seals_at(survey_round):%-d %B %Y}, once late finishers are in.")
    questions, open_keys = _questions(survey_round)
    quasi = list(current_app.config.get("REPORT_QUASI_IDENTIFIERS", ()))
    generalise = current_app.config.get("REPORT_GENERALISE", {})
    table = Response.__table__
    result = db.session.execute(
        select(table.c.survey, table.c.age_band, table.c.status, table.c.answers)
        .where(table.c.round_id == survey_round.id))
    rows: list[dict[str, str]] = []
    keys: dict[str, None] = {}
    for survey, band, status, answers in result:
        row = {"survey": survey, "age_band": band or "", "status": status}
        for key, value in (answers or {}).items():
            if key in open_keys or (questions and key not in questions and key not in quasi):
                continue
            row[key] = _value(value)
            keys.setdefault(key, None)
        rows.append(row)
    kept, notes = k_anonymise(rows, quasi, rules.k, generalise)
    # A fresh order and fresh ids: nothing links an exported row back to the store.
    rng = secrets.SystemRandom()
    rng.shuffle(rows)
    for r in rows:
        r["row"] = uuid.uuid4().hex
    answer_keys = sorted(k for k in keys if k not in quasi)
    columns = ["row", "survey", "age_band", "status", *kept, *answer_keys]
    for column in quasi:
        if column not in kept:
            questions.pop(column, None)
    return RawExport(tenant.slug, survey_round.name, survey_round.closes_at, columns, rows,
                     {k: q for k, q in questions.items() if k in columns}, notes)


def to_csv(export: RawExport) -> str:
    """The rows as CSV, one column per question."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=export.columns, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in export.rows:
        writer.writerow({c: row.get(c, "") for c in export.columns})
    return out.getvalue()


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "round"


def floip_package(export: RawExport) -> tuple[dict, str]:
    """(datapackage.json as a dict, the data CSV) of a FLOIP Flow Results package."""
    name = f"{_slug(export.tenant_slug)}-{_slug(export.round_name)}"
    stamp = export.closes_at.strftime("%Y-%m-%d %H:%M:%S+00:00")
    questions: dict[str, dict] = {
        "age_band": {"type": "select_one", "label": "Age band",
                     "type_options": {"choices": sorted({r["age_band"] for r in export.rows
                                                         if r["age_band"]})}}}
    for key, q in export.questions.items():
        entry: dict[str, Any] = {"type": q.type, "label": q.label, "type_options": {}}
        if q.choices:
            entry["type_options"] = {"choices": q.choices}
        questions[key] = entry
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["timestamp", "row_id", "contact_id", "session_id", "question_id",
                     "response", "response_metadata"])
    n = 0
    for row in export.rows:
        for key in ("age_band", *[c for c in export.columns if c in export.questions]):
            value = row.get(key, "")
            if value == "":
                continue
            n += 1
            writer.writerow([stamp, str(n), row["row"], row["row"], key, value, "{}"])
    package = {
        "profile": "data-package",
        "name": name,
        "flow-results-specification": FLOIP_VERSION,
        "created": stamp,
        "modified": stamp,
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"chatsurvey:{name}")),
        "title": f"{export.round_name}: anonymised responses",
        "description": "Anonymised survey responses. " + " ".join(
            n.capitalize() + "." for n in export.notes),
        "resources": [{
            "name": f"{name}-data",
            "path": "flow-results-data.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": {
                "language": "eng",
                "fields": [
                    {"name": "timestamp", "title": "Timestamp", "type": "datetime",
                     "format": "%Y-%m-%d %H:%M:%S+00:00"},
                    {"name": "row_id", "title": "Row ID", "type": "string"},
                    {"name": "contact_id", "title": "Contact ID", "type": "string"},
                    {"name": "session_id", "title": "Session ID", "type": "string"},
                    {"name": "question_id", "title": "Question ID", "type": "string"},
                    {"name": "response", "title": "Response", "type": "any"},
                    {"name": "response_metadata", "title": "Response Metadata",
                     "type": "object"}],
                "questions": questions}}]}
    return package, out.getvalue()


def floip_zip(export: RawExport) -> bytes:
    """The FLOIP package as a zip: datapackage.json and flow-results-data.csv."""
    package, data = floip_package(export)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("datapackage.json", json.dumps(package, indent=2))
        z.writestr("flow-results-data.csv", data)
    return out.getvalue()
