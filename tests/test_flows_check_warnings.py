"""`flows check` warns where a flow writer is most likely to go wrong.

* a state some route goes past (a council's slot, or a question written "just
  before" a state a branch also jumps to);
* an age band the contacts flow has no case for;
* `--as-council SLUG`: a council's local questions checked with the council
  editor's rules, and a programme flow refused as the admin refuses it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chatsurvey.cli import main
from chatsurvey.engine.lint import check_paths
from tests.helpers import publish_fixture_flows, seed_tenant
from tests.test_local_questions import BLOCK

PROJECT = Path(__file__).resolve().parent.parent
FLOWS = PROJECT / "flows"


def skipped(result):
    return [p for p in result.all_problems() if p.code == "skipped"]


def test_the_programme_s_flows_skip_nothing_and_know_every_age_band():
    result = check_paths([FLOWS])
    assert skipped(result) == []
    assert [p for p in result.all_problems() if p.code == "age-band"] == []


def test_the_programme_s_flows_read_at_age_seven_and_fit_their_sms_budget():
    """No reading-age warning (answer labels are checked for hard words, the language
    choice is bilingual), and one English message over its SMS budget; a translation in
    a language sent as UCS-2 is warned only past two segments."""
    found = check_paths([FLOWS]).all_problems()
    assert [(p.state or p.field, p.message) for p in found if p.code == "reading-age"] == []
    sms = [p for p in found if p.code == "sms-length"]
    assert [(p.state, p.message) for p in sms if p.locale == "en"] == [
        ("doing_now", "by SMS this is 2 segments (GSM-7); a message in GSM-7 should take at"
                      " most 1. Its 9 answers alone take 2: ask fewer, or shorten them")]
    assert [p for p in sms if "2 segments (UCS-2)" in p.message] == []


def test_a_route_past_the_council_s_slot_is_said(tmp_path):
    """The report: questions before the open question, skipped when ``otherwise: better``."""
    source = (FLOWS / "ylyc-11-18.yaml").read_text("utf-8")
    broken = source.replace("    otherwise: council_questions\n", "    otherwise: better\n", 1)
    assert broken != source
    (tmp_path / "ylyc-11-18.yaml").write_text(broken)
    [warning] = skipped(check_paths([tmp_path / "ylyc-11-18.yaml"], FLOWS.parent / "locales",
                                    shared=[FLOWS]))
    assert warning.state == "council_questions" and warning.level == "warning"
    assert "'about_worries' goes straight to 'better'" in warning.message


def test_a_question_written_just_before_a_state_a_branch_jumps_to_is_said(tmp_path):
    (tmp_path / "f.yaml").write_text("""\
spec_version: "1.0"
id: f
title: F
survey: demo
locales: [en]
start: pet
states:
  pet: {type: question, ask: yesno, key: pet, prompt: q}
  route:
    type: branch
    cases: [{when: {answer: pet, equals: "yes"}, next: kind}]
    otherwise: open
  kind: {type: question, ask: text, key: kind, prompt: q}
  kind_more: {type: question, ask: text, key: kind_more, prompt: q}
  early:
    type: branch
    cases: [{when: {channel: sms}, next: open}]
    otherwise: inserted
  inserted: {type: question, ask: yesno, key: inserted, prompt: q}
  open: {type: question, ask: text, key: open, prompt: q}
  end: {type: end}
  orphan:  # reached by nothing: going past inserted on no route at all
    type: branch
    cases: [{when: {channel: sms}, next: open}]
    otherwise: open
messages:
  q: "Is it?"
""")
    found = {(p.state, p.message.split(":")[0]) for p in skipped(check_paths([tmp_path]))}
    # kind and kind_more are route's own follow-up, inserted is early's: skipped on purpose
    # by those branches, not said; route's otherwise going past inserted is
    assert found == {("inserted", "'inserted' leads to 'open', but branch 'route' (otherwise) "
                                  "goes straight there")}


def test_an_age_band_the_contacts_do_not_know_is_said(tmp_path):
    source = (PROJECT / "docs/examples/first-survey.yaml").read_text("utf-8")
    (tmp_path / "mine.yaml").write_text(source.replace("reading_age: 7",
                                                       "age_band: 12-14\nreading_age: 7"))
    result = check_paths([tmp_path / "mine.yaml"], shared=[FLOWS])
    [warning] = [p for p in result.all_problems() if p.code == "age-band"]
    assert "age band '12-14' is unknown to the 'contacts' flow" in warning.message
    assert warning.source == str(tmp_path / "mine.yaml") and warning.line == 9


@pytest.mark.redis
def test_as_council_applies_the_council_editor_s_rules(app, tmp_path):
    with app.app_context():
        seed_tenant("bchester")
        publish_fixture_flows()
    (tmp_path / "good.yaml").write_text(BLOCK)
    (tmp_path / "bad.yaml").write_text(BLOCK.replace(
        "    when: {answer: local_youth_club, equals: \"yes\"}",
        "    when: {param: council, equals: \"Bchester\"}").replace(
        "    key: local_youth_club\n", "    key: local_youth_club\n    core: true\n"))
    (tmp_path / "flow.yaml").write_text((FLOWS / "contacts.yaml").read_text("utf-8"))
    runner = app.test_cli_runner()

    good = runner.invoke(main, ["flows", "check", "--as-council", "bchester",
                                str(tmp_path / "good.yaml")])
    assert good.exit_code == 0, good.output
    assert "local questions of Bchester Council, 2 questions" in good.output

    bad = runner.invoke(main, ["flows", "check", "--as-council", "bchester",
                               str(tmp_path / "bad.yaml")])
    assert bad.exit_code == 1
    assert "cannot be core" in bad.output and "param" in bad.output

    flow = runner.invoke(main, ["flows", "check", "--as-council", "bchester",
                                str(tmp_path / "flow.yaml")])
    assert flow.exit_code == 1 and "only programme analysts change them" in flow.output
    nobody = runner.invoke(main, ["flows", "check", "--as-council", "nowhere",
                                  str(tmp_path / "good.yaml")])
    assert nobody.exit_code == 1 and "no council called 'nowhere'" in nobody.output
