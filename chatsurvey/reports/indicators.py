"""The indicator catalogue: which core answers count as positive, and what to compare them with.

The catalogue (``flows/indicators.yaml``) lists, for each well-being indicator,
the key of the core question it is computed from, its domain, a label for
reports, the surveys and age bands it is asked in, which answers count as
positive and, where they exist, general-population comparators expressed in
the same direction. Reports read it through :func:`load_catalogue`; nothing
about indicators is written anywhere else.

A comparator is used for one of our age bands only when the ages of the
population it describes cover the band (:func:`ages_cover`): a figure about
16-24 year olds is never put beside 8 to 10 year olds. Each one names its
primary source and the year its data were collected, for the report to cite.

``positive`` is one of two forms:

- a list of answer values, as stored: ``[always]``, ``["yes"]``, ``[4, 5]``
  for faces. For a multiple-choice question an answer is positive when any
  value picked is in the list;
- a threshold for numbers and 0-10 scales: one of ``{gte: n}``, ``{gt: n}``,
  ``{lte: n}``, ``{lt: n}`` or ``{between: [low, high]}`` (inclusive).

A skipped or missing answer is neither positive nor negative: it is left out
of the count.

Pure: the standard library, PyYAML and jsonschema only (no Flask, Redis or SQL).
:func:`check_catalogue` takes a loaded flow library (``chatsurvey.engine.FlowLibrary``)
but only reads its flows' attributes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from jsonschema import Draft202012Validator

if TYPE_CHECKING:  # pragma: no cover
    from chatsurvey.engine import FlowLibrary

SCHEMA_PATH = Path(__file__).with_name("indicators.schema.json")
DOMAINS = ("relationships", "resilience", "rights", "recovery", "wellbeing")
THRESHOLD_TESTS = ("gte", "gt", "lte", "lt", "between")
_CHOICE_TYPES = ("choice", "multi", "yesno", "frequency")
_NUMBER_TYPES = ("scale", "number")

BAND_AGES: dict[str, tuple[int, int]] = {
    "4-7": (4, 7), "8-11": (8, 10), "11-18": (11, 17), "16-25": (16, 25)}
"""The ages each age band is for (youngest, oldest), as the chat places young people
(flows/README.md, "your-life"): 8-11 is 8 to 10, 11-18 is 11 to 17."""

TOP_YEAR_ALLOWED = 1
"""Years a comparator may stop short of a band's oldest age. Bright Spots compares care
leavers aged 16 to 25 with ONS figures for 16 to 24 year olds; nothing else is stretched."""


def ages_cover(ages: tuple[int, int], band: str) -> bool:
    """Whether a population of ``ages`` (youngest, oldest) covers the age band ``band``."""
    youngest, oldest = BAND_AGES[band]
    return ages[0] <= youngest and oldest - TOP_YEAR_ALLOWED <= ages[1]


class CatalogueError(ValueError):
    """The catalogue cannot be used; ``problems`` says why, one line each."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(problems))


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans (only true/false), so an answer called `no` stays text."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Threshold:
    """A numeric test: ``op`` is gte, gt, lte, lt or between (``value`` is then (low, high))."""

    op: str
    value: int | tuple[int, int]

    def __call__(self, number: int) -> bool:
        limit = self.value
        if isinstance(limit, tuple):  # "between": the schema gives it, and only it, two numbers
            low, high = limit
            return low <= number <= high
        return {"gte": number >= limit, "gt": number > limit, "lte": number <= limit,
                "lt": number < limit}[self.op]

    def bounds(self) -> list[int]:
        """The numbers the test names (to check they lie on the question's scale)."""
        return list(self.value) if isinstance(self.value, tuple) else [self.value]


@dataclass(frozen=True)
class Source:
    """A publication: publisher, title, year published (when known) and where to read it."""

    publisher: str
    title: str
    year: int | None = None
    url: str = ""

    def words(self) -> str:
        """"ONS, Young people's well-being and personal finance (2017)"."""
        return f"{self.publisher}, {self.title}" + (f" ({self.year})" if self.year else "")


@dataclass(frozen=True)
class Comparator:
    """A general-population figure, as the share that would count as positive."""

    value: float
    published: str
    population: str
    ages: tuple[int, int] | None
    """Youngest and oldest age it is about; None when the source gives none."""
    source: Source
    """The primary source: where the figure was first published."""
    collected: str | None
    """When its data were collected ("2016-17"); None when the source does not say."""
    wording_matches: bool
    age_bands: tuple[str, ...]
    cited_in: Source | None = None
    """Where we read it, when not in the primary source itself."""
    note: str = ""

    def short(self) -> str:
        """Publisher and the year its data were collected, short enough for a table cell."""
        when = f"data collected in {self.collected}" if self.collected \
            else "collection year not given"
        return f"{self.source.publisher}; {when}"

    def citation(self) -> str:
        """Where the figure comes from, in full and in plain words."""
        when = f"Data collected in {self.collected}." if self.collected \
            else "The year the data were collected is not given."
        text = f"From: {self.source.words()}. {when}"
        if self.cited_in is not None:
            text += f" Quoted in: {self.cited_in.words()}."
        return text

    def urls(self) -> tuple[str, ...]:
        """Where to read it: the primary source, then where it is quoted (those we have)."""
        return tuple(s.url for s in (self.source, self.cited_in) if s is not None and s.url)


@dataclass(frozen=True)
class Indicator:
    """One indicator of the catalogue."""

    key: str
    domain: str
    label: str
    surveys: tuple[str, ...]
    age_bands: tuple[str, ...]
    positive: tuple[str | int, ...] | Threshold
    comparators: tuple[Comparator, ...] = ()
    note: str = ""

    def comparator_for(self, band: str | None) -> Comparator | None:
        """The general-population figure used for ``band``, if one covers it."""
        return next((c for c in self.comparators if band in c.age_bands), None)

    def is_positive(self, answer: Any) -> bool | None:
        """True/False for an answer; None for a skipped or missing one (not counted)."""
        if answer is None or answer == []:
            return None
        if isinstance(self.positive, Threshold):
            if isinstance(answer, bool) or not isinstance(answer, int):
                return None
            return self.positive(answer)
        wanted = {_same_kind(v) for v in self.positive}
        picked = answer if isinstance(answer, list) else [answer]
        return any(_same_kind(v) in wanted for v in picked)

    def count(self, answers: Iterable[Any]) -> tuple[int, int]:
        """(positive, answered) over many answers; skipped ones are left out."""
        positive = answered = 0
        for answer in answers:
            verdict = self.is_positive(answer)
            if verdict is None:
                continue
            answered += 1
            positive += verdict
        return positive, answered


def _same_kind(value: Any) -> str:
    """Compare answer values as text, so faces stored as 4 match a catalogue's 4 or "4"."""
    return str(value)


def _schema_validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text("utf-8")))


def _where(path: Iterable[Any], data: Any) -> str:
    """A readable location: indicators[3] (feels_safe).positive."""
    parts: list[str] = []
    node: Any = data  # any part of the YAML document, or None past its end
    for item in path:
        if isinstance(item, int):
            label = f"[{item}]"
            try:
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("key"), str):
                    label += f" ({node['key']})"
            except (IndexError, KeyError, TypeError):
                node = None
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "the catalogue"


def _build(raw: dict) -> Indicator:
    positive_raw = raw["positive"]
    if isinstance(positive_raw, dict):
        (op, value), = positive_raw.items()
        positive: tuple[str | int, ...] | Threshold = Threshold(
            op, tuple(value) if isinstance(value, list) else value)
    else:
        positive = tuple(positive_raw)
    comparators = tuple(
        Comparator(
            value=float(c["value"]), published=c["published"], population=c["population"],
            ages=(c["ages"][0], c["ages"][1]) if c["ages"] is not None else None,
            source=Source(**c["source"]), collected=c["collected"],
            wording_matches=c["wording_matches"], age_bands=tuple(c["age_bands"]),
            cited_in=Source(**c["cited_in"]) if "cited_in" in c else None,
            note=c.get("note", ""))
        for c in raw.get("comparators", ()))
    return Indicator(key=raw["key"], domain=raw["domain"], label=raw["label"],
                     surveys=tuple(raw["surveys"]), age_bands=tuple(raw["age_bands"]),
                     positive=positive, comparators=comparators, note=raw.get("note", ""))


def _comparator_problems(where: str, raw: dict) -> list[str]:
    """Each comparator's bands are the indicator's, covered by its ages, and used once."""
    problems: list[str] = []
    taken: set[str] = set()
    for j, comparator in enumerate(raw.get("comparators", ())):
        here = f"{where}.comparators[{j}]"
        ages = comparator["ages"]
        for band in comparator["age_bands"]:
            if band not in raw["age_bands"]:
                problems.append(f"{here}.age_bands: {band} not in the indicator's age_bands")
            elif band in taken:
                problems.append(f"{here}: {band} already has a comparator")
            elif band not in BAND_AGES:
                problems.append(f"{here}: no ages are known for the age band {band}")
            elif ages is None:
                problems.append(f"{here}: the source gives no ages, so it cannot be used for"
                                f" the {band} age band")
            elif not ages_cover((ages[0], ages[1]), band):
                youngest, oldest = BAND_AGES[band]
                problems.append(f"{here}: its ages ({ages[0]} to {ages[1]}) do not cover the"
                                f" {band} age band (ages {youngest} to {oldest})")
            taken.add(band)
    return problems


def parse_catalogue(data: Any, source: str = "") -> list[Indicator]:
    """Validate catalogue data (already read from YAML) and build the indicators."""
    errors = sorted(_schema_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        raise CatalogueError([f"{_where(e.absolute_path, data)}: {e.message}" for e in errors],
                             source)
    problems: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["indicators"]):
        where = f"indicators[{i}] ({raw['key']})"
        if raw["key"] in seen:
            problems.append(f"{where}: the key '{raw['key']}' is listed twice")
        seen.add(raw["key"])
        positive = raw["positive"]
        if isinstance(positive, dict) and "between" in positive:
            low, high = positive["between"]
            if low > high:
                problems.append(f"{where}.positive: between [{low}, {high}] is empty")
        problems.extend(_comparator_problems(where, raw))
    if problems:
        raise CatalogueError(problems, source)
    return [_build(raw) for raw in data["indicators"]]


def load_catalogue(path: str | Path) -> list[Indicator]:
    """Read, validate and build the catalogue at ``path``; raises CatalogueError."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text("utf-8"), Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except OSError as exc:
        raise CatalogueError([f"cannot read: {exc}"], str(path)) from None
    except yaml.YAMLError as exc:
        raise CatalogueError([f"not valid YAML: {exc}"], str(path)) from None
    return parse_catalogue(data, str(path))


# -- checking the catalogue against the flows --------------------------------


def _answer_values(node: Any) -> set[str] | None:
    """Valid answers of a question with fixed answers, as text; None for numbers and text."""
    if node.ask in _CHOICE_TYPES or node.ask == "faces":
        return {o.value for o in node.options}
    return None


def _check_positive(indicator: Indicator, node: Any, flow_id: str) -> list[str]:
    where = f"{indicator.key}: in flow '{flow_id}'"
    positive = indicator.positive
    if node.ask == "text":
        return [f"{where} the question is free text; it cannot have positive answers"]
    if isinstance(positive, Threshold):
        if node.ask not in _NUMBER_TYPES:
            return [f"{where} the question is a {node.ask} question; a threshold like"
                    f" {{{positive.op}: ...}} only fits numbers and 0-10 scales. List the"
                    " positive answers instead"]
        outside = [b for b in positive.bounds() if not node.min <= b <= node.max]
        if outside:
            return [f"{where} the threshold {positive.bounds()} lies outside the answers"
                    f" {node.min} to {node.max}"]
        return []
    values = _answer_values(node)
    if values is None:  # scale or number: a list of numbers
        bad = [v for v in positive if isinstance(v, bool) or not isinstance(v, int)
               or not node.min <= v <= node.max]
        if bad:
            return [f"{where} {', '.join(map(str, bad))} is not an answer (answers are"
                    f" {node.min} to {node.max})"]
        return []
    bad = [v for v in positive if _same_kind(v) not in values]
    if bad:
        return [f"{where} {', '.join(map(str, bad))} is not an answer of the question"
                f" (answers: {', '.join(sorted(values))})"]
    return []


def _in_its_flows(indicator: Indicator, survey_flows: list) -> list[str]:
    """The indicator is a core question, with real positive answers, in each of its flows."""
    problems = []
    flows = [f for f in survey_flows if f.survey in indicator.surveys]
    for band in indicator.age_bands:
        in_band = [f for f in flows if f.age_band == band]
        if not in_band:
            problems.append(f"{indicator.key}: no flow of {', '.join(indicator.surveys)}"
                            f" is written for the age band {band}")
        for flow in in_band:
            node = next((n for n in flow.questions() if n.key == indicator.key and n.record),
                        None)
            if node is None:
                problems.append(f"{indicator.key}: flow '{flow.id}' ({band}) does not ask it")
                continue
            if not node.core:
                problems.append(f"{indicator.key}: in flow '{flow.id}' ({band}) it is not"
                                " a core question (add core: true)")
            problems.extend(_check_positive(indicator, node, flow.id))
    return problems


def _outside_its_flows(indicator: Indicator, survey_flows: list) -> list[str]:
    """A flow the indicator does not list asks its key as a core question."""
    return [f"{indicator.key}: flow '{flow.id}' ({flow.age_band}) asks it as a core question,"
            " but the indicator does not list that survey and age band"
            for flow in survey_flows
            if not (flow.age_band in indicator.age_bands and flow.survey in indicator.surveys)
            and any(n.key == indicator.key and n.record and n.core for n in flow.questions())]


def check_catalogue(indicators: list[Indicator], library: FlowLibrary) -> list[str]:
    """Problems between the catalogue and the flows; an empty list means they agree.

    Reports: an indicator whose key is not a core question in every flow of
    its surveys and age bands; positive answers that are not answers of that
    question; a key asked as a core question in an age band the indicator does
    not list; and core questions that no indicator covers.
    """
    problems: list[str] = []
    survey_flows = [f for f in library.flows.values() if f.age_band]
    known_surveys = {f.survey for f in survey_flows}
    covered: set[str] = set()
    for indicator in indicators:
        covered.add(indicator.key)
        problems.extend(f"{indicator.key}: no flow belongs to the survey '{survey}'"
                        for survey in indicator.surveys if survey not in known_surveys)
        problems.extend(_in_its_flows(indicator, survey_flows))
        problems.extend(_outside_its_flows(indicator, survey_flows))
    for flow in survey_flows:
        for node in flow.questions():
            if node.core and node.record and node.key and node.key not in covered:
                problems.append(f"{node.key}: a core question in flow '{flow.id}' with no"
                                " indicator in the catalogue")
                covered.add(node.key)  # say it once
    return problems
