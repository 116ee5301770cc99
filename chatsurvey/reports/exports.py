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

FLOIP: the Flow Results specification 1.0.0-rc1 (github.com/FLOIP/flow-results):
a ``datapackage.json`` (profile ``flow-results-package``) describing every
question answered, with its English words and choices, and one JSON file of
row arrays (timestamp, row_id, contact_id, session_id, question_id, response,
response_metadata); a multiple-choice answer is an array, a number a number.
Every timestamp is the round's closing time: the real time of an answer is
not kept anywhere.
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
from chatsurvey.reports.questions import round_questions
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
    options: dict[str, Any] = field(default_factory=dict)
    """Other type_options (a numeric question's range)."""


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
    """Closed questions of every flow the round's responses came through (key -> Question),
    and the keys never exported (free text, and personal answers such as an exact age)."""
    found: dict[str, Question] = {}
    left_out: set[str] = set()
    for key, q in round_questions(survey_round.id).questions.items():
        if q.is_open or q.personal or q.ask not in FLOIP_TYPES:
            left_out.add(key)
            continue
        options = {"range": [q.low, q.high]} if FLOIP_TYPES[q.ask] == "numeric" and \
            q.low is not None and q.high is not None else {}
        found[key] = Question(key, q.label, FLOIP_TYPES[q.ask], list(q.choices), options)
    return found, left_out


def _undeclared(key: str, values: list[Any]) -> Question:
    """A question answered but found in no flow (a flow version since removed): described from
    its answers, so the package still declares every answer it holds."""
    if values and all(isinstance(v, list) for v in values):
        return Question(key, key.replace("_", " "), "select_many")
    if values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return Question(key, key.replace("_", " "), "numeric")
    return Question(key, key.replace("_", " "), "select_one")


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


NEVER_EXPORTED = frozenset({"helped_by"})
"""Answers no export holds: who helped a young person answer could point to them."""


def _read_rows(survey_round: SurveyRound, left_out: set[str], quasi: list[str],
               ) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """Rows of (survey, age band, status, answers); background answers as text (for
    k-anonymity), other answers as stored. Also every exported key's values."""
    table = Response.__table__
    result = db.session.execute(
        select(table.c.survey, table.c.age_band, table.c.status, table.c.answers)
        .where(table.c.round_id == survey_round.id))
    rows: list[dict[str, Any]] = []
    seen: dict[str, list[Any]] = {}
    for survey, band, status, answers in result:
        row: dict[str, Any] = {"survey": survey, "age_band": band or "", "status": status}
        for key, value in (answers or {}).items():
            if key in left_out or key in NEVER_EXPORTED or value is None:
                continue
            row[key] = _value(value) if key in quasi else value
            seen.setdefault(key, []).append(value)
        rows.append(row)
    return rows, seen


def _declared(questions: dict[str, Question], rows: list[dict[str, Any]],
              columns: list[str], seen: dict[str, list[Any]]) -> dict[str, Question]:
    """A Question for every exported column, its choices holding every value released."""
    out: dict[str, Question] = {}
    for key in columns:
        if key in ("row", "survey", "age_band", "status"):
            continue
        q = questions.get(key) or _undeclared(key, seen.get(key, []))
        if q.type in ("select_one", "select_many"):
            released: set[str] = set()
            for r in rows:
                value = r.get(key)
                if isinstance(value, list):
                    released.update(map(str, value))
                elif value not in (None, ""):
                    released.update(_value(value).split(";") if q.type == "select_many"
                                    else [_value(value)])
            q = Question(q.key, q.label, q.type,
                         [*q.choices, *sorted(released - set(q.choices))], q.options)
        out[key] = q
    return out


def raw_export(tenant: Tenant, survey_round: SurveyRound, rules: Rules,
               now: Any = None) -> RawExport:
    """The round's responses as anonymised rows (ExportRefused until the round is sealed)."""
    if not is_sealed(survey_round, now):
        raise ExportRefused(f"This round is not final yet: raw data can be exported from "
                            f"{seals_at(survey_round):%-d %B %Y}, once late finishers are in.")
    questions, left_out = _questions(survey_round)
    quasi = list(current_app.config.get("REPORT_QUASI_IDENTIFIERS", ()))
    generalise = current_app.config.get("REPORT_GENERALISE", {})
    rows, seen = _read_rows(survey_round, left_out, quasi)
    kept, notes = k_anonymise(rows, quasi, rules.k, generalise)
    # A fresh order and fresh ids: nothing links an exported row back to the store.
    rng = secrets.SystemRandom()
    rng.shuffle(rows)
    for r in rows:
        r["row"] = str(uuid.uuid4())
    answer_keys = sorted(k for k in seen if k not in quasi) if rows else []
    columns = ["row", "survey", "age_band", "status", *kept, *answer_keys]
    return RawExport(tenant.slug, survey_round.name, survey_round.closes_at, columns, rows,
                     _declared(questions, rows, columns, seen), notes)


def to_csv(export: RawExport) -> str:
    """The rows as CSV, one column per question."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=export.columns, extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in export.rows:
        writer.writerow({c: _value(row.get(c)) for c in export.columns})
    return out.getvalue()


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-") or "round"


FIELDS = [
    {"name": "timestamp", "title": "Timestamp", "type": "datetime"},
    {"name": "row_id", "title": "Row ID", "type": "string"},
    {"name": "contact_id", "title": "Contact ID", "type": "string"},
    {"name": "session_id", "title": "Session ID", "type": "string"},
    {"name": "question_id", "title": "Question ID", "type": "string"},
    {"name": "response", "title": "Response", "type": "any"},
    {"name": "response_metadata", "title": "Response Metadata", "type": "object"}]
"""The seven columns every Flow Results package's rows have (specification, "Resource")."""

ROW_QUESTIONS = {
    "survey": "Survey",
    "age_band": "Age band",
    "status": "Finished the survey (complete) or stopped part-way (partial)",
}
"""Columns of every exported row, given as questions so the package holds what the CSV does."""

DATA_FILE = "flow-results-data.json"


def _floip_value(q: Question | None, value: Any) -> Any:
    """An answer as the specification wants it: a string for select_one, an array of strings
    for select_many, a number for numeric."""
    kind = q.type if q is not None else "select_one"
    if kind == "select_many":
        return [str(v) for v in value] if isinstance(value, list) else \
            [v for v in _value(value).split(";") if v]
    if kind == "numeric" and not isinstance(value, bool) and isinstance(value, int | float):
        return value
    return _value(value)


def _floip_questions(export: RawExport) -> dict[str, dict]:
    questions: dict[str, dict] = {}
    for key, label in ROW_QUESTIONS.items():
        choices = sorted({r[key] for r in export.rows if r.get(key)})
        questions[key] = {"type": "select_one", "label": label,
                          "type_options": {"choices": choices}}
    for key, q in export.questions.items():
        options: dict[str, Any] = dict(q.options)
        if q.type in ("select_one", "select_many"):
            options["choices"] = q.choices
        questions[key] = {"type": q.type, "label": q.label, "type_options": options}
    return questions


def floip_rows(export: RawExport) -> list[list[Any]]:
    """The package's responses in the specification's JSON "row array" form: one row per answer
    (timestamp, row id, contact id, session id, question id, response, metadata)."""
    stamp = export.closes_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    keys = [*ROW_QUESTIONS, *[c for c in export.columns if c in export.questions]]
    out: list[list[Any]] = []
    for row in export.rows:
        for key in keys:
            value = row.get(key)
            if value is None or value == "" or value == []:
                continue
            response = _floip_value(export.questions.get(key), value)
            if response in ("", []):
                continue
            out.append([stamp, str(len(out) + 1), row["row"], row["row"], key, response, {}])
    return out


def floip_package(export: RawExport) -> tuple[dict, str]:
    """(datapackage.json as a dict, the rows as JSON) of a Flow Results 1.0 package.

    Every timestamp is the round's closing time (no time of answering is kept);
    the package id is a fresh version 4 UUID, as the specification asks.
    """
    name = f"{_slug(export.tenant_slug)}-{_slug(export.round_name)}"
    stamp = export.closes_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    package = {
        "profile": "flow-results-package",
        "name": name,
        "flow_results_specification_version": FLOIP_VERSION,
        "created": stamp,
        "modified": stamp,
        "id": str(uuid.uuid4()),
        "title": f"{export.round_name}: anonymised responses",
        "description": "Anonymised survey responses. " + " ".join(
            n.capitalize() + "." for n in export.notes),
        "resources": [{
            "name": f"{name}-data",
            "path": DATA_FILE,
            "profile": "tabular-data-resource",
            "format": "json",
            "mediatype": "application/json",
            "encoding": "utf-8",
            "dialect": {"header": False},
            "schema": {"language": "eng", "fields": FIELDS,
                       "questions": _floip_questions(export)}}]}
    return package, json.dumps(floip_rows(export), ensure_ascii=False)


def floip_zip(export: RawExport) -> bytes:
    """The Flow Results package as a zip: datapackage.json and its data file."""
    package, data = floip_package(export)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("datapackage.json", json.dumps(package, indent=2))
        z.writestr(DATA_FILE, data)
    return out.getvalue()
