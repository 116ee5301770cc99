"""The indicator catalogue (flows/indicators.yaml) and chatsurvey.reports.indicators."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from textwrap import dedent

import pytest

from chatsurvey.engine import FlowLibrary
from chatsurvey.reports.indicators import (
    DOMAINS,
    CatalogueError,
    Threshold,
    check_catalogue,
    load_catalogue,
    parse_catalogue,
)
from tests.helpers import PROJECT

CATALOGUE = PROJECT / "flows" / "indicators.yaml"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(CATALOGUE)


@pytest.fixture(scope="module")
def flows():
    return FlowLibrary.load([PROJECT / "flows"])


def by_key(catalogue):
    return {i.key: i for i in catalogue}


# -- the real catalogue ---------------------------------------------------------


def test_the_catalogue_agrees_with_the_flows(catalogue, flows):
    assert check_catalogue(catalogue, flows) == []


def test_every_age_band_covers_every_domain(catalogue):
    for band in ("4-7", "8-11", "11-18", "16-25"):
        domains = {i.domain for i in catalogue if band in i.age_bands}
        assert domains == set(DOMAINS), band


def test_shared_topics_are_one_indicator_across_ages(catalogue):
    indicators = by_key(catalogue)
    assert indicators["knows_why_in_care"].age_bands == ("4-7", "8-11", "11-18", "16-25")
    assert indicators["feels_safe"].age_bands == ("4-7", "8-11", "11-18", "16-25")
    assert indicators["life_satisfaction"].age_bands == ("11-18", "16-25")


def test_comparators_point_the_same_way_as_their_indicator(catalogue):
    indicators = by_key(catalogue)
    expected = {  # the published figure is about the negative side; we hold the positive share
        ("life_satisfaction", "16-25"): 0.97, ("life_satisfaction", "11-18"): 0.91,
        ("worthwhile", "16-25"): 0.96, ("lonely", "16-25"): 0.902,
        ("money_coping", "16-25"): 0.93, ("afraid_bullying", "8-11"): 0.83,
        ("has_good_friend", "16-25"): 0.975, ("happy_with_appearance", "11-18"): 0.90,
        ("anxious_yesterday", "16-25"): 0.80,
    }
    used = {(i.key, b) for i in catalogue for b in i.age_bands if i.comparator_for(b)}
    assert used == set(expected)
    for (key, band), value in expected.items():
        comparator = indicators[key].comparator_for(band)
        assert comparator.value == pytest.approx(value), key
        assert comparator.source.title and comparator.population
        assert 2000 < (comparator.source.year or comparator.cited_in.year) < 2030
        assert set(comparator.age_bands) <= set(indicators[key].age_bands)
    # ONS items are close paraphrases, not the same wording: the catalogue must say so.
    ons = indicators["life_satisfaction"].comparator_for("16-25")
    assert not ons.wording_matches
    assert "paraphrase" in ons.note
    # Held, but its source gives no ages: used for no band.
    assert indicators["internet_at_home"].comparators[0].ages is None


def test_ons_thresholds(catalogue):
    indicators = by_key(catalogue)
    for key in ("life_satisfaction", "worthwhile", "happy_yesterday", "happy_with_appearance"):
        assert indicators[key].positive == Threshold("gte", 5)
    assert indicators["anxious_yesterday"].positive == Threshold("lte", 5)
    assert indicators["lonely"].is_positive("often_always") is False
    assert indicators["lonely"].is_positive("some_of_the_time") is True


# -- deciding what counts as positive ------------------------------------------------


def test_is_positive_for_each_form(catalogue):
    indicators = by_key(catalogue)
    satisfaction = indicators["life_satisfaction"]
    assert [satisfaction.is_positive(n) for n in (0, 4, 5, 10)] == [False, False, True, True]
    assert satisfaction.is_positive(None) is None
    assert satisfaction.is_positive("seven") is None and satisfaction.is_positive(True) is None
    school = indicators["likes_school"]  # faces, stored as numbers
    assert school.is_positive(4) is True and school.is_positive(3) is False
    eet = indicators["eet_now"]  # multiple choice: any pick in the list counts
    assert eet.is_positive(["volunteering", "work"]) is True
    assert eet.is_positive(["volunteering"]) is False
    assert eet.is_positive([]) is None
    assert indicators["knows_why_in_care"].is_positive("a_bit") is False
    assert satisfaction.count([3, 7, None, 9, 5]) == (3, 4)


def test_thresholds():
    assert Threshold("between", (3, 5))(3) and not Threshold("between", (3, 5))(6)
    assert Threshold("gt", 4)(5) and not Threshold("gt", 4)(4)
    assert Threshold("lt", 4)(3) and not Threshold("lt", 4)(4)
    assert Threshold("between", (3, 5)).bounds() == [3, 5]


# -- loading errors ---------------------------------------------------------------------

GOOD = """
indicators:
  - key: feels_safe
    domain: rights
    label: Always feels safe
    surveys: [demo]
    age_bands: [8-11]
    positive: [always]
"""


def load_text(tmp_path, text):
    path = tmp_path / "indicators.yaml"
    path.write_text(dedent(text))
    return load_catalogue(path)


def test_a_good_catalogue_loads(tmp_path):
    [indicator] = load_text(tmp_path, GOOD)
    assert indicator.key == "feels_safe" and indicator.positive == ("always",)
    assert indicator.comparators == () and indicator.comparator_for("8-11") is None


def test_yes_and_no_stay_text(tmp_path):
    [indicator] = load_text(tmp_path, GOOD.replace("[always]", "[yes, no]"))
    assert indicator.positive == ("yes", "no")


@pytest.mark.parametrize("change, message", [
    (("domain: rights", "domain: safety"), "indicators[0] (feels_safe).domain: 'safety' is not one of"),
    (("    positive: [always]\n", ""), "'positive' is a required property"),
    (("positive: [always]", "positive: {gte: 5, lte: 8}"), "indicators[0] (feels_safe).positive"),
    (("positive: [always]", "positive: []"), "indicators[0] (feels_safe).positive"),
    (("key: feels_safe", "key: Feels Safe"), "indicators[0] (Feels Safe).key"),
    (("age_bands: [8-11]", "age_bands: [eight]"), "age_bands[0]: 'eight' does not match"),
    (("label: Always feels safe", "colour: red\n    label: x"), "Additional properties"),
])
def test_schema_errors_say_where(tmp_path, change, message):
    with pytest.raises(CatalogueError) as caught:
        load_text(tmp_path, GOOD.replace(*change))
    assert any(message in p for p in caught.value.problems), caught.value.problems
    assert str(tmp_path) in str(caught.value)


def test_semantic_errors(tmp_path):
    text = GOOD + GOOD.split("indicators:\n")[1].replace("[always]", "{between: [7, 3]}") + """
  - key: lonely
    domain: wellbeing
    label: Not often lonely
    surveys: [demo]
    age_bands: [16-25]
    positive: [never]
    comparators:
      - {value: 0.9, published: "10%", population: p, ages: [16, 24],
         source: {publisher: ONS, title: t}, collected: null, wording_matches: false,
         age_bands: [11-18]}
"""
    with pytest.raises(CatalogueError) as caught:
        load_text(tmp_path, text)
    problems = caught.value.problems
    assert "indicators[1] (feels_safe): the key 'feels_safe' is listed twice" in problems
    assert "indicators[1] (feels_safe).positive: between [7, 3] is empty" in problems
    assert ("indicators[2] (lonely).comparators[0].age_bands: 11-18 not in the indicator's"
            " age_bands") in problems


def test_comparator_value_must_be_a_share(tmp_path):
    text = GOOD + """    comparators:
      - {value: 97, published: "3%", population: p, ages: [8, 10],
         source: {publisher: ONS, title: t}, collected: null, wording_matches: false,
         age_bands: [8-11]}
"""
    with pytest.raises(CatalogueError, match=r"comparators\[0\]\.value: 97 is greater than"):
        load_text(tmp_path, text)


def test_unreadable_and_broken_files(tmp_path):
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "missing.yaml")
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_text(tmp_path, "indicators: [\n")
    with pytest.raises(CatalogueError, match="'indicators' is a required property"):
        load_text(tmp_path, "states: {}\n")
    with pytest.raises(CatalogueError, match="the catalogue: 'x' is not of type 'object'"):
        parse_catalogue("x")


def test_the_flow_loader_skips_the_catalogue(flows):
    assert not [p for p in flows.problems if "indicators" in p.source]


# -- checking against flows -------------------------------------------------------------

FLOW = """
spec_version: "1.0"
id: {id}
title: Test
survey: {survey}
age_band: {band}
locales: [en]
start: safe
states:
  safe:
    type: question
    ask: frequency
    scale: always4
    key: feels_safe
    prompt: q
    core: {core}
  happy:
    type: question
    ask: scale
    key: happy
    prompt: q
    core: true
  faces:
    type: question
    ask: faces
    key: school
    prompt: q
    core: true
  doing:
    type: question
    ask: multi
    key: doing
    prompt: q
    options: [work, study]
    core: true
  words:
    type: question
    ask: text
    key: words
    prompt: q
  end:
    type: end
messages:
  q: "A question?"
  work: Work
  study: Study
"""


def library_of(tmp_path, *flows):
    for i, (survey, band, core) in enumerate(flows):
        (tmp_path / f"f{i}.yaml").write_text(dedent(FLOW).format(
            id=f"f{i}", survey=survey, band=band, core="true" if core else "false"))
    library = FlowLibrary.load([tmp_path])
    assert not library.problems
    return library


def catalogue_of(*entries):
    return parse_catalogue({"indicators": [
        {"key": k, "domain": "wellbeing", "label": k, "surveys": s, "age_bands": b, "positive": p}
        for k, s, b, p in entries]})


COMPLETE = [("feels_safe", ["demo"], ["8-11"], ["always"]), ("happy", ["demo"], ["8-11"], {"gte": 5}),
            ("school", ["demo"], ["8-11"], [4, 5]), ("doing", ["demo"], ["8-11"], ["work"])]


def test_a_matching_catalogue_has_no_problems(tmp_path):
    library = library_of(tmp_path, ("demo", "8-11", True))
    assert check_catalogue(catalogue_of(*COMPLETE), library) == []


def test_check_reports_every_kind_of_problem(tmp_path):
    library = library_of(tmp_path, ("demo", "8-11", False), ("demo", "11-18", True),
                         ("other", "4-7", True))
    catalogue = catalogue_of(
        ("feels_safe", ["demo", "nosuch"], ["8-11", "16-25"], ["always", "sometimes", "often"]),
        ("happy", ["demo"], ["8-11"], {"gte": 11}),
        ("school", ["demo"], ["8-11"], {"gte": 4}),
        ("doing", ["demo"], ["8-11"], ["work", 7]),
        ("words", ["demo"], ["8-11"], ["anything"]),
        ("missing", ["demo"], ["8-11"], ["yes"]),
    )
    problems = check_catalogue(catalogue, library)
    expected = [
        "feels_safe: no flow belongs to the survey 'nosuch'",
        "feels_safe: in flow 'f0' (8-11) it is not a core question (add core: true)",
        "feels_safe: in flow 'f0' often is not an answer of the question (answers: always,"
        " most_of_the_time, never, sometimes)",
        "feels_safe: no flow of demo, nosuch is written for the age band 16-25",
        "feels_safe: flow 'f1' (11-18) asks it as a core question, but the indicator does not"
        " list that survey and age band",
        "happy: in flow 'f0' the threshold [11] lies outside the answers 0 to 10",
        "school: in flow 'f0' the question is a faces question; a threshold like {gte: ...} only"
        " fits numbers and 0-10 scales. List the positive answers instead",
        "doing: in flow 'f0' 7 is not an answer of the question (answers: study, work)",
        "words: in flow 'f0' the question is free text; it cannot have positive answers",
        "missing: flow 'f0' (8-11) does not ask it",
    ]
    for problem in expected:
        assert problem in problems
    # core questions of the other survey and age band have no indicator of their own
    assert "happy: flow 'f1' (11-18) asks it as a core question, but the indicator does not" \
           " list that survey and age band" in problems


def test_check_reports_core_questions_without_an_indicator(tmp_path):
    library = library_of(tmp_path, ("demo", "8-11", True))
    problems = check_catalogue(catalogue_of(*COMPLETE[:2]), library)
    assert problems == [
        "school: a core question in flow 'f0' with no indicator in the catalogue",
        "doing: a core question in flow 'f0' with no indicator in the catalogue",
    ]


def test_numbers_listed_for_a_scale_must_be_on_it(tmp_path):
    library = library_of(tmp_path, ("demo", "8-11", True))
    entries = [e if e[0] != "happy" else ("happy", ["demo"], ["8-11"], [9, 10, 11]) for e in COMPLETE]
    assert check_catalogue(catalogue_of(*entries), library) == [
        "happy: in flow 'f0' 11 is not an answer (answers are 0 to 10)"]


def test_the_module_is_pure():
    script = textwrap.dedent("""
        import sys
        class Blocker:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {"flask", "werkzeug", "redis", "rq", "sqlalchemy"}:
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Blocker())
        import importlib.util  # the module alone, not its package's web-facing __init__
        spec = importlib.util.spec_from_file_location("indicators", sys.argv[2])
        indicators = sys.modules["indicators"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(indicators)
        print(len(indicators.load_catalogue(sys.argv[1])) > 0)
    """)
    module = PROJECT / "chatsurvey" / "reports" / "indicators.py"
    result = subprocess.run([sys.executable, "-c", script, str(CATALOGUE), str(module)],
                            capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


# -- comparators: their ages, sources and years ---------------------------------------------


def test_no_comparator_is_used_for_ages_it_does_not_cover(catalogue):
    """Over the whole catalogue: a general-population figure is only used for an age band its
    population's ages cover (a 16-24 figure is never shown for 8 to 10 year olds)."""
    from chatsurvey.reports.indicators import BAND_AGES, ages_cover

    used = 0
    for indicator in catalogue:
        for band in indicator.age_bands:
            comparator = indicator.comparator_for(band)
            if comparator is None:
                continue
            used += 1
            assert comparator.ages is not None, (indicator.key, band)
            assert ages_cover(comparator.ages, band), (indicator.key, band, comparator.ages,
                                                       BAND_AGES[band])
    assert used >= 8
    good_friend = by_key(catalogue)["has_good_friend"]
    assert good_friend.comparator_for("8-11") is None
    assert good_friend.comparator_for("11-18") is None


def test_ages_cover():
    from chatsurvey.reports.indicators import ages_cover

    assert ages_cover((8, 10), "8-11") and ages_cover((10, 17), "11-18")
    assert ages_cover((16, 24), "16-25")  # Bright Spots' own care-leaver comparison with ONS
    assert not ages_cover((16, 24), "8-11") and not ages_cover((16, 24), "11-18")
    assert not ages_cover((11, 18), "8-11") and not ages_cover((12, 17), "11-18")


def test_every_comparator_names_its_primary_source_and_the_year_of_its_data(catalogue):
    comparators = [c for i in catalogue for c in i.comparators]
    assert len(comparators) >= 10
    for c in comparators:
        assert c.source.publisher and c.source.title, c
        assert c.collected is None or re.fullmatch(r"\d{4}(-\d{2})?", c.collected), c
        for source in (c.source, c.cited_in):
            if source is not None and source.url:
                assert source.url.startswith("https://"), source
        assert c.source.year or (c.cited_in and c.cited_in.year), c  # a year to read it by
    indicators = by_key(catalogue)
    lonely = indicators["lonely"].comparator_for("16-25")
    assert lonely.collected == "2016-17" and lonely.source.year == 2018  # collected != published
    money = indicators["money_coping"].comparator_for("16-25")
    assert money.collected == "2014-15" and money.source.year == 2017


def test_low_life_satisfaction_for_11_to_18_year_olds(catalogue):
    satisfaction = by_key(catalogue)["life_satisfaction"]
    young = satisfaction.comparator_for("11-18")
    assert young.value == pytest.approx(0.91)  # 9% low in general (16% of those in care)
    assert "10,000 Voices" in young.source.title and young.source.year == 2022
    assert young.ages == (11, 18)
    leavers = satisfaction.comparator_for("16-25")
    assert leavers.value == pytest.approx(0.97) and leavers.ages == (16, 24)


COMPARATOR = """
      - value: 0.9
        published: "10%"
        population: p
        ages: [16, 24]
        source: {publisher: ONS, title: t, year: 2018}
        collected: 2016-17
        wording_matches: false
        age_bands: [BANDS]
"""


def test_a_comparator_whose_ages_do_not_cover_a_band_is_refused(tmp_path):
    text = GOOD.replace("[8-11]", "[8-11, 16-25]") + "    comparators:" + COMPARATOR.replace(
        "BANDS", "8-11, 16-25")
    with pytest.raises(CatalogueError) as caught:
        load_text(tmp_path, text)
    assert caught.value.problems == [
        "indicators[0] (feels_safe).comparators[0]: its ages (16 to 24) do not cover the 8-11"
        " age band (ages 8 to 10)"]


def test_two_comparators_for_one_band_are_refused(tmp_path):
    text = GOOD.replace("[8-11]", "[16-25]") + "    comparators:" + (
        COMPARATOR.replace("BANDS", "16-25") * 2)
    with pytest.raises(CatalogueError, match=r"comparators\[1\]: 16-25 already has a"):
        load_text(tmp_path, text)


@pytest.mark.parametrize("change, message", [
    (("        collected: 2016-17\n", ""), "'collected' is a required property"),
    (("        ages: [16, 24]\n", ""), "'ages' is a required property"),
    (("title: t, ", ""), "'title' is a required property"),
    (("collected: 2016-17", "collected: last year"), "'last year'"),
])
def test_a_comparator_needs_its_source_ages_and_year_collected(tmp_path, change, message):
    text = GOOD.replace("[8-11]", "[16-25]") + "    comparators:" + COMPARATOR.replace(
        "BANDS", "16-25").replace(*change)
    with pytest.raises(CatalogueError) as caught:
        load_text(tmp_path, text)
    assert any(message in p for p in caught.value.problems), caught.value.problems
