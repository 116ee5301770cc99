"""`pybabel extract` finds every message of a flow, with context and notes."""

import io
import subprocess
import sys

from babel.messages.extract import extract
from babel.messages.pofile import read_po

from chatsurvey.engine.extract import extract_flow, extract_system_messages
from tests.helpers import FIXTURE_FLOWS, PROJECT


def extracted(method, text):
    return list(extract(method, io.BytesIO(text.encode()), options={}))


def test_flow_messages_become_entries_with_context():
    text = (FIXTURE_FLOWS / "pets.yaml").read_text()
    entries = extracted(extract_flow, text)
    by_context = {e[3]: e for e in entries}
    line, msgid, comments, _ = by_context["pets:has_pet"]
    assert msgid == "Do you have a pet?" and line == text.splitlines().index(
        "  has_pet:", text.splitlines().index("messages:")) + 1
    assert comments == ["Used in: has_pet.prompt"]
    assert by_context["pets:has_pet#sms"][1] == "Got a pet?"
    assert "keep it short" in by_context["pets:has_pet#sms"][2][-1]
    assert by_context["pets:dog#synonyms"][1] == "doggy|puppy"
    assert by_context["pets:consent"][2][0] == "Asked before anything else."
    assert by_context["pets:fish"][2] == ["Used in: which_pet.options"]
    assert by_context["pets:not_at_all"][2] == ["Used in: feel.min_label"]
    assert by_context["pets:welcome"][2] == ["Used in: welcome.say"]


def test_verbatim_wording_tells_the_translator_why():
    entries = extracted(extract_flow, """
id: bench
states:
  q: {type: question, ask: scale, key: q, prompt: ons}
messages:
  ons:
    text: "How satisfied are you with your life nowadays?"
    note: "A national question."
    verbatim: ONS personal well-being
""")
    [(_, msgid, comments, ctx)] = entries
    assert ctx == "bench:ons" and comments[0] == "A national question."
    assert "word for word" in comments[1] and "ONS personal well-being" in comments[1]
    assert comments[2] == "Used in: q.prompt"


def test_odd_documents_extract_what_they_can():
    assert extracted(extract_flow, "- not a flow\n") == []
    entries = extracted(extract_flow, """
id: odd
states:
  bad: just text
  q: {type: message, say: [a]}
  r: {type: question, options: [{value: x, label: b}, 3]}
messages:
  a: "A"
  b: {note: "no text"}
  c: {text: "C", web: "Web C"}
""")
    assert [e[3] for e in entries] == ["odd:a", "odd:c", "odd:c#web"]


def test_system_messages_are_extracted():
    path = PROJECT / "chatsurvey/engine/system_messages.yaml"
    entries = extracted(extract_system_messages, path.read_text())
    contexts = {e[3] for e in entries}
    assert {"system:progress", "system:progress#sms", "system:opt.yes#synonyms"} <= contexts


def pybabel_extract(config, directory, out):
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(config),
         "-o", str(out), "."], capture_output=True, text=True, cwd=directory, timeout=60)
    assert result.returncode == 0, result.stderr
    with out.open("rb") as fh:
        return read_po(fh)


def test_pybabel_cli_uses_the_registered_extractors(tmp_path):
    catalog = pybabel_extract(FIXTURE_FLOWS / "babel.cfg", FIXTURE_FLOWS, tmp_path / "t.pot")
    assert catalog.get("What kind of pet, {answer.has_pet}?", context="pets:which_pet")
    # The project's own configuration also finds the built-in messages.
    catalog = pybabel_extract(PROJECT / "babel.cfg", PROJECT, tmp_path / "p.pot")
    assert catalog.get("Yes", context="system:opt.yes")
