"""`flows check`: the findings and figures an analyst gets."""

from textwrap import dedent

import pytest

from chatsurvey.engine.catalogue import Catalogue, Entry
from chatsurvey.engine.library import FlowLibrary
from chatsurvey.engine.lint import check_flow, check_library, check_paths
from tests.helpers import FIXTURE_FLOWS, flow_from

HEAD = """
spec_version: "1.0"
id: {id}
title: Test flow
survey: demo
locales: {locales}
reading_age: 7
start: {start}
"""


def write(tmp_path, name, body, id=None, locales="[en]", start="q"):
    text = HEAD.format(id=id or name, locales=locales, start=start) + dedent(body)
    (tmp_path / f"{name}.yaml").write_text(text)


def problems(result, code=None):
    found = result.all_problems()
    return [p for p in found if code is None or p.code == code]


def test_fixture_flows_have_no_errors():
    result = check_paths([FIXTURE_FLOWS])
    assert result.count("error") == 1  # the Welsh fixture has a deliberately broken placeholder
    [error] = [p for p in result.all_problems() if p.level == "error"]
    assert error.code == "translation" and "{placeholders}" in error.message
    assert error.locale == "cy" and error.field == "messages.hello"


def test_structure_findings(tmp_path):
    write(tmp_path, "shape", """
        states:
          q: {type: question, ask: yesno, key: same, prompt: q}
          r: {type: question, ask: scale, key: same, prompt: q, signpost_if: {lte: 2}}
          loop_a: {type: message, say: q, next: loop_b}
          loop_b: {type: branch, cases: [{when: {channel: sms}, next: loop_a}], otherwise: stop}
          stop: {type: end}
          orphan: {type: message, say: q}
        messages:
          q: "Is this right?"
          spare: "Never said."
    """)
    result = check_paths([tmp_path])
    codes = {(p.code, p.state) for p in problems(result)}
    assert ("duplicate-key", "r") in codes
    assert ("signpost", "r") in codes
    assert ("loop", "loop_a") in codes
    assert ("unreachable", "orphan") in codes
    assert ("dead-end", "orphan") not in codes  # unreachable says enough
    assert ("unused-message", None) in codes
    [loop] = problems(result, "loop")
    assert "loop_a -> loop_b" in loop.message and loop.level == "error"


def test_dead_end_and_self_loop(tmp_path):
    write(tmp_path, "ends", """
        states:
          q: {type: question, ask: yesno, key: q, prompt: q, next: spin}
          spin: {type: branch, cases: [{when: {channel: sms}, next: spin}], otherwise: last}
          last: {type: message, say: q}
        messages:
          q: "Is this right?"
    """)
    result = check_paths([tmp_path])
    assert {p.state for p in problems(result, "dead-end")} == {"last"}
    assert {p.state for p in problems(result, "loop")} == {"spin"}


def test_sub_flows_with_questions_break_a_loop(tmp_path):
    write(tmp_path, "outer", """
        states:
          q: {type: subflow, flow: inner, next: again}
          again: {type: branch, cases: [{when: {channel: sms}, next: q}], otherwise: done}
          done: {type: end}
    """)
    write(tmp_path, "inner", """
        states:
          q: {type: question, ask: yesno, key: inner_q, prompt: q}
        messages:
          q: "Inner?"
    """)
    result = check_paths([tmp_path])
    assert not problems(result, "loop")


def test_consent_must_come_first(tmp_path):
    write(tmp_path, "early", """
        requires_consent: true
        states:
          q: {type: question, ask: yesno, key: early, prompt: q}
          sub: {type: subflow, flow: other}
          c: {type: question, ask: consent, prompt: q, declined: bye}
          after: {type: question, ask: yesno, key: fine, prompt: q}
          bye: {type: end}
        messages:
          q: "Yes?"
    """)
    write(tmp_path, "other", """
        states:
          q: {type: end}
    """)
    write(tmp_path, "none", """
        requires_consent: true
        states:
          q: {type: question, ask: yesno, key: q2, prompt: q}
        messages:
          q: "Yes?"
    """)
    result = check_paths([tmp_path])
    found = {(p.level, p.state, p.source.rsplit("/", 1)[-1]) for p in problems(result, "consent")}
    assert found == {("error", "q", "early.yaml"), ("warning", "sub", "early.yaml"),
                     ("error", None, "none.yaml")}


def test_sms_length_and_reading_age(tmp_path):
    write(tmp_path, "words", f"""
        states:
          q: {{type: question, ask: yesno, key: q, prompt: long}}
          m: {{type: message, say: [medium, hard]}}
          end: {{type: end}}
        messages:
          long: "{'Please tell us about it. ' * 22}"
          medium: "{'This message is long. ' * 8}"
          hard: "Unquestionably, institutional responsibilities necessitate comprehensive deliberation."
    """)
    result = check_paths([tmp_path])
    [report] = [r for r in result.reports if r.flow_id == "words"]
    levels = {p.state: p.level for p in problems(result, "sms-length")}
    assert levels == {"q": "error", "m": "warning"}
    assert report.sms["messages"] == 3 and report.sms["max_segments"] == 4
    assert report.sms["one_segment"] == 1
    reading = problems(result, "reading-age")
    assert [p.field for p in reading] == ["messages.hard"]
    assert report.reading["target"] == 7 and report.reading["measured"] == 3
    assert report.reading["highest"] > 15


def test_verbatim_messages_are_named_and_kept_out_of_the_reading_age(tmp_path):
    # Wording kept word for word for comparison with a national survey is not ours to
    # simplify: the lint names it, says why, and holds the rest of the flow to the target.
    write(tmp_path, "bench", """
        states:
          q: {type: question, ask: scale, key: q, prompt: ons}
          m: {type: message, say: [plain, hard]}
          end: {type: end}
        messages:
          ons:
            text: "Overall, how satisfied are you with your life nowadays?"
            sms: "Overall, how satisfied are you with life nowadays?"
            verbatim: ONS personal well-being
          plain: "Do you have a cat?"
          hard: "Unquestionably, institutional responsibilities necessitate comprehensive deliberation."
    """)
    result = check_paths([tmp_path])
    [report] = [r for r in result.reports if r.flow_id == "bench"]
    assert [p.field for p in problems(result, "reading-age")] == ["messages.hard"]
    assert set(report.reading["by_message"]) == {"plain", "hard"}
    assert report.reading["measured"] == 2
    assert set(report.reading["verbatim"]) == {"ons", "ons#sms"}
    assert min(report.reading["verbatim"].values()) > 7
    [named] = problems(result, "verbatim")
    assert named.level == "info"
    assert "ons (ONS personal well-being)" in named.message
    assert "not held to the reading age" in named.message
    assert "verbatim" in report.as_dict()["reading"]


def test_a_flow_with_nothing_verbatim_says_nothing_about_it(tmp_path):
    write(tmp_path, "plain", """
        states:
          q: {type: question, ask: yesno, key: q, prompt: q}
        messages:
          q: "Do you have a cat?"
    """)
    result = check_paths([tmp_path])
    assert problems(result, "verbatim") == []
    assert result.reports[0].reading["verbatim"] == {}


def test_translations_are_counted_and_checked():
    catalogue = Catalogue({"cy": {
        "t:a": Entry("Call 0800 1111 now.", "Ffoniwch nawr.", False, False),
        "t:b": Entry("Hi {param.name}", "Helo {param.enw}", False, False),
        "t:c": Entry("Cat", "Cath", True, False),
        "t:c#synonyms": Entry("kitty", "pws", False, False),
    }})
    flow = flow_from("""
        spec_version: "1.0"
        id: t
        title: T
        survey: demo
        locales: [en, cy]
        start: m
        states:
          m: {type: message, say: [a, b, c, d]}
        messages:
          a: "Call 0800 1111 now."
          b: "Hi {param.name}"
          c: {text: "Cat", synonyms: [kitty]}
          d: {text: "Dog", sms: "Dg"}
    """, catalogue)
    report = check_flow(flow, catalogue)
    status = report.translations["cy"]
    assert (status["translated"], status["fuzzy"], status["missing"], status["total"]) == \
        (3, 1, 2, 6)
    assert status["untranslated"] == ["d", "d#sms"]
    messages = [p.message for p in report.problems if p.code == "translation"]
    assert any("missing the number(s) 08001111" in m for m in messages)
    assert any("same {placeholders}" in m for m in messages)
    assert any("2 of 6 messages have no current translation (d, d#sms)" in m for m in messages)


def test_untranslated_lists_are_shortened(tmp_path):
    body = "states:\n  m: {type: message, say: [m1, m2, m3, m4, m5, m6, m7]}\nmessages:\n" + \
        "".join(f"  m{i}: \"Message {i}\"\n" for i in range(1, 8))
    write(tmp_path, "many", body, locales="[en, gd]", start="m")
    result = check_paths([tmp_path])
    [warning] = [p for p in problems(result, "translation") if p.source.endswith("many.yaml")]
    assert warning.message.endswith("(m1, m2, m3, m4, m5 and 2 more)")
    system = [r for r in result.reports if r.flow_id == "system"][0]
    assert system.translations["gd"]["complete"] == 0


def test_library_level_problems(tmp_path):
    write(tmp_path, "a", """
        states:
          q: {type: question, ask: yesno, key: shared, prompt: q, core: true}
          go: {type: subflow, flow: b}
        messages:
          q: "Q?"
    """)
    write(tmp_path, "b", """
        states:
          q: {type: question, ask: scale, key: shared, prompt: q}
          go: {type: subflow, flow: a}
        messages:
          q: "Q?"
    """)
    write(tmp_path, "c", """
        states:
          q: {type: question, ask: yesno, key: shared, prompt: q}
        messages:
          q: "Q?"
    """)
    write(tmp_path, "dup", """
        states:
          q: {type: end}
    """, id="c")
    write(tmp_path, "missing", """
        states:
          q: {type: subflow, flow: ghost}
    """)
    write(tmp_path, "uses-missing", """
        states:
          q: {type: subflow, flow: missing}
    """)
    (tmp_path / "_notes.yaml").write_text("not: a flow\n")
    (tmp_path / "indicators.yaml").write_text("indicators: []\n")
    (tmp_path / "broken.yaml").write_text("id: [\n")
    library = FlowLibrary.load([tmp_path])
    assert set(library.flows) == {"a", "b", "c"}
    result = check_library(library)
    codes = sorted((p.code, p.level) for p in result.problems)
    assert ("comparability", "error") in codes and ("comparability", "warning") in codes
    assert codes.count(("loop", "error")) == 2
    assert ("duplicate-flow", "error") in codes and ("syntax", "error") in codes
    assert codes.count(("missing-flow", "error")) == 2


def test_unreadable_files_are_reported(tmp_path):
    (tmp_path / "latin1.yaml").write_bytes(b"title: caf\xe9\n")
    library = FlowLibrary.load([tmp_path])
    assert library.problems[0].code == "unreadable"


def test_library_finds_flows_by_id_or_path(library):
    assert library.find("pets").id == "pets"
    assert library.find(str(FIXTURE_FLOWS / "pets.yaml")).id == "pets"
    with pytest.raises(KeyError, match="no working flow called 'nope'"):
        library.find("nope")
    assert library.catalogue.locales() == ["ar", "cy"]


def test_more_shapes(tmp_path):
    # A cross edge into a finished part of the graph, a Welsh-source flow (no reading age),
    # and a chain of sub-flows that loops without the flow that starts it.
    write(tmp_path, "cross", """
        states:
          q: {type: branch, cases: [{when: {channel: sms}, next: a}], otherwise: b}
          a: {type: branch, cases: [{when: {channel: sms}, next: c}], otherwise: c}
          b: {type: branch, cases: [{when: {channel: sms}, next: c}], otherwise: c}
          c: {type: end}
    """)
    write(tmp_path, "welsh", """
        source_locale: cy
        states:
          q: {type: message, say: m}
          end: {type: end}
        messages:
          m: "Croeso i'r arolwg bach hwn, diolch yn fawr iawn."
    """, locales="[cy]")
    write(tmp_path, "p", "states:\n  q: {type: subflow, flow: qq}\n")
    write(tmp_path, "qq", "states:\n  q: {type: subflow, flow: r}\n")
    write(tmp_path, "r", "states:\n  q: {type: subflow, flow: qq}\n")
    result = check_paths([tmp_path])
    assert not [p for p in result.all_problems() if p.source.endswith("cross.yaml")
                and p.level != "info"]
    welsh = [r for r in result.reports if r.flow_id == "welsh"][0]
    assert welsh.reading == {}
    loops = {p.source.rsplit("/", 1)[-1] for p in problems(result, "loop")}
    assert loops == {"qq.yaml", "r.yaml"}


def test_a_complete_translation_raises_no_warning():
    from chatsurvey.engine.catalogue import context, system_messages

    entries = {}
    for key, message in system_messages().items():
        entries[context("system", key)] = Entry(message.text, message.text, False, False)
        for variant in ("sms", "web"):
            if getattr(message, variant):
                entries[context("system", key, variant)] = Entry(getattr(message, variant),
                                                                 "x", False, False)
        if message.synonyms:
            entries[context("system", key, "synonyms")] = Entry("|".join(message.synonyms),
                                                                "x", False, False)
    entries["t:a"] = Entry("Hello", "Helo", False, False)
    catalogue = Catalogue({"cy": entries})
    flow = flow_from("""
        spec_version: "1.0"
        id: t
        title: T
        survey: demo
        locales: [en, cy]
        start: m
        states:
          m: {type: message, say: a}
        messages:
          a: "Hello"
    """, catalogue)
    library = FlowLibrary(flows={"t": flow}, files={"t": "t.yaml"}, catalogue=catalogue)
    result = check_library(library)
    assert [p for p in result.all_problems() if p.code == "translation"] == []


# -- a flow checked on its own, with the flows it enters from a library --------------------


def test_a_flow_checked_alone_takes_the_flows_it_enters_from_the_library(tmp_path):
    mine, library = tmp_path / "mine", tmp_path / "library"
    mine.mkdir()
    library.mkdir()
    write(mine, "survey", """
        states:
          q: {type: question, ask: yesno, key: same, prompt: q}
          help: {type: subflow, flow: help}
          stop: {type: end}
        messages:
          q: "Is this right?"
    """)
    write(library, "help", """
        states:
          q: {type: question, ask: scale, key: same, prompt: q}
          stop: {type: end}
        messages:
          q: "How right is it?"
    """)
    write(library, "survey", """
        states:
          q: {type: message, say: q}
        messages:
          q: "The library's own survey, with the same id."
    """)
    write(library, "broken", "states: {q: {type: nonsense}}\nmessages: {}\n")
    write(library, "lost", """
        states:
          q: {type: subflow, flow: nowhere}
        messages: {}
    """)
    alone = check_paths([mine / "survey.yaml"])
    assert [p.code for p in problems(alone, "missing-flow")] == ["missing-flow"]

    result = check_paths([mine / "survey.yaml"], shared=[library])
    assert [r.flow_id for r in result.reports] == ["survey"]  # the library is not checked
    assert result.count("error") == 1  # only across flows: the key asked two ways
    [clash] = [p for p in result.all_problems() if p.level == "error"]
    assert clash.source == str(mine / "survey.yaml")
    assert not problems(result, "missing-flow")

    shared = FlowLibrary.load([mine / "survey.yaml"], shared=[library])
    assert shared.shared == {"help"}  # a library flow never replaces a named one
    assert set(shared.flows) == {"survey", "help"}  # the broken and the lost are left out


def test_the_sms_budget_is_what_a_message_s_encoding_needs_for_160_characters():
    """One GSM-7 segment; two UCS-2 ones (a language whose letters need UCS-2 cannot fit
    160 characters in one): a translation warned only for being long, not for its letters."""
    arabic = "ما هو الشيء الذي تحبه أكثر في المكان الذي تعيش فيه الآن؟ "
    catalogue = Catalogue({"ar": {
        "t:two": Entry("What do you like best about where you live now?", arabic * 2,
                       True, False),
        "t:three": Entry("Do you feel safe?", arabic * 3, True, False),
    }})
    flow = flow_from(f"""
        spec_version: "1.0"
        id: t
        title: T
        survey: demo
        locales: [en, ar]
        start: m
        states:
          m: {{type: message, say: [two, three, long]}}
        messages:
          two: "What do you like best about where you live now?"
          three: "Do you feel safe?"
          long: "{'Tell us more. ' * 13}"
    """, catalogue)
    found = {(p.locale, p.message) for p in check_flow(flow, catalogue).problems
             if p.code == "sms-length"}
    assert found == {
        ("ar", "by SMS this is 3 segments (UCS-2); a message in UCS-2 should take at most 2."
               " Shorten its translation"),
        ("en", "by SMS this is 2 segments (GSM-7); a message in GSM-7 should take at most 1."
               " Shorten it, or add a shorter sms: wording"),
    }  # the English "long" is said once: shown untranslated in Arabic, it is the same words


def test_answer_labels_are_checked_for_hard_words_and_prose_for_its_reading_age(tmp_path):
    # Flesch-Kincaid scores a few words by their syllables: "Family or friends" would read
    # at 10. A label is a choice, not a sentence: it is checked word by word instead.
    write(tmp_path, "labels", """
        states:
          q:
            type: question
            ask: choice
            key: q
            prompt: where
            help: hard_help
            options:
              - {value: family, label: family}
              - {value: worker, label: worker}
              - {value: kin, label: kinship}
              - {value: uni, label: university}
          s: {type: question, ask: scale, key: s, prompt: where, min_label: none,
              max_label: completely}
          end: {type: end}
        messages:
          where: "Where do you live now?"
          family: "Family or friends"
          worker: "A worker, not my social worker"
          kinship: "My mum or dad"
          university: "University"
          none: "not at all"
          completely: "completely"
          hard_help: "Unquestionably, institutional responsibilities necessitate deliberation."
    """)
    result = check_paths([tmp_path])
    [report] = result.reports
    found = {p.field: p.message for p in problems(result, "reading-age")}
    assert found == {
        "messages.university": "University: hard to read at age 7, which this flow aims for."
                               " Try a shorter, everyday word",
        "messages.hard_help": found["messages.hard_help"]}
    assert found["messages.hard_help"].startswith("reads at about age")
    assert set(report.reading["by_message"]) == {"where", "hard_help"}


def test_a_bilingual_message_is_not_measured_as_english(tmp_path):
    write(tmp_path, "both", """
        states:
          q:
            type: question
            ask: choice
            key: q
            prompt: which
            options: [{value: cy, label: cy}, {value: en, label: en}]
          end: {type: end}
        messages:
          which: {text: "Cymraeg neu Saesneg? / Welsh or English?", bilingual: true}
          cy: "Cymraeg"
          en: "English"
    """)
    result = check_paths([tmp_path])
    assert problems(result, "reading-age") == []
    assert result.reports[0].reading["by_message"] == {}
    without = tmp_path / "both.yaml"
    without.write_text(without.read_text().replace(", bilingual: true", ""))
    assert [p.field for p in problems(check_paths([tmp_path]), "reading-age")] == \
        ["messages.which"]


def test_a_question_whose_answers_alone_are_over_the_sms_budget_says_so(tmp_path):
    options = "".join(f"\n              - {{value: v{i}, label: a{i}}}" for i in range(12))
    labels = "".join(f"\n          a{i}: Answer number {i}" for i in range(12))
    write(tmp_path, "many", f"""
        states:
          q:
            type: question
            ask: choice
            key: q
            prompt: q
            options:{options}
          end: {{type: end}}
        messages:
          q: "Which?"{labels}
    """)
    [warning] = problems(check_paths([tmp_path]), "sms-length")
    assert warning.message.endswith("Its 12 answers alone take 2: ask fewer, or shorten them")
