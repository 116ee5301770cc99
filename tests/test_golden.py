"""Golden transcripts: whole conversations played through `chatsurvey simulate`.

Run `pytest tests/test_golden.py --update-goldens` after an intended change,
then read the diff of tests/flows/golden/ before committing it.
"""

import shlex

import pytest
from click.testing import CliRunner

from chatsurvey.cli import main
from tests.helpers import FIXTURE_FLOWS, PROJECT

SCRIPTS = sorted((FIXTURE_FLOWS / "scripts").glob("*.txt"))


def run_script(path):
    first, _, inputs = path.read_text().partition("\n")
    assert first.startswith("# simulate: "), f"{path.name} must start with '# simulate: ...'"
    args = shlex.split(first[len("# simulate: "):])
    if "--flows" in args:  # the programme's own flows, e.g. "--flows flows": from the checkout
        at = args.index("--flows") + 1
        args[at] = str(PROJECT / args[at])
    else:
        args += ["--flows", str(FIXTURE_FLOWS)]
    result = CliRunner().invoke(main, ["simulate", *args], input=inputs)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_golden_transcript(script, request):
    output = run_script(script)
    golden = FIXTURE_FLOWS / "golden" / script.name
    if request.config.getoption("--update-goldens"):
        golden.write_text(output)
    assert golden.exists(), f"no golden file yet: run pytest {__file__} --update-goldens"
    assert output == golden.read_text()


def test_there_are_scripts_for_web_and_sms():
    channels = {shlex.split(p.read_text().splitlines()[0])[-1] for p in SCRIPTS}
    assert len(SCRIPTS) >= 8
    assert any("sms" in c for c in channels) or any("sms" in p.read_text() for p in SCRIPTS)
