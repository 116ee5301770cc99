"""The README's "Writing a flow" steps, run as written, and a single flow checked on its own.

Each command of the README's block runs in a fresh folder (with the checkout's
docs, flows and locales beside it, as in a checkout) through the installed
`chatsurvey` script. The example it copies is a small survey that passes the
check and plays to the end.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
README = (PROJECT / "README.md").read_text("utf-8")
BIN = Path(sys.executable).parent


def steps() -> list[str]:
    """The commands of the README's "Writing a flow" block (comments and activation left out)."""
    section = README.split("\n## Writing a flow\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```\n", 1)[1].split("```", 1)[0]
    commands = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    return [c for c in commands if c and not c.startswith(("#", ". "))]


def run(command: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("CHATSURVEY_FLOWS_DIR", None)
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, input=stdin, text=True,
                          capture_output=True, timeout=120, check=False)


def checkout(tmp_path: Path) -> Path:
    for name in ("docs", "flows", "locales"):
        (tmp_path / name).symlink_to(PROJECT / name)
    return tmp_path


def test_the_readme_steps_run_as_written(tmp_path):
    cwd = checkout(tmp_path)
    commands = steps()
    assert [c.split()[0] for c in commands] == ["mkdir", "chatsurvey", "chatsurvey",
                                                "chatsurvey", "chatsurvey"]
    answers = (PROJECT / "docs/examples/first-survey-answers.txt").read_text("utf-8")
    outputs = []
    for command in commands:
        done = run(command, cwd, stdin=answers)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs.append(done.stdout)
    checked, chatted, by_sms, simulated = outputs[1:]
    assert "0 errors" in checked and '"Where I live"' in checked
    assert "Do you feel safe where you live?" in chatted and chatted.rstrip().endswith(
        "# complete")
    assert "· sms · cy" in by_sms and "segment" in by_sms
    assert "Thank you for telling us!" in simulated and simulated.rstrip().endswith(
        "# complete")
    assert (cwd / "drafts/my-survey.yaml").is_file()


def test_the_example_is_a_sensible_small_survey():
    from chatsurvey.engine.library import FlowLibrary

    library = FlowLibrary.load([PROJECT / "docs/examples"], shared=[PROJECT / "flows"])
    flow = library.get("my-survey")
    assert flow.requires_consent and flow.signpost == "support"
    assert 4 <= len(flow.questions()) <= 8
    words = " ".join(m.text for m in flow.messages.values())
    assert "{" not in words  # no placeholder that reads oddly ("What kind of pet, Yes?")


def test_a_product_flow_can_be_checked_on_its_own(tmp_path):
    cwd = checkout(tmp_path)
    done = run("chatsurvey flows check flows/ylyc-11-18.yaml", cwd)
    assert done.returncode == 0, done.stdout
    assert "ylyc-11-18" in done.stdout and "support" not in done.stdout.split("\n", 1)[0]


def test_a_flow_whose_library_is_elsewhere_is_told_how(tmp_path):
    cwd = checkout(tmp_path)
    (cwd / "empty").mkdir()
    (cwd / "mine").mkdir()
    (cwd / "mine/survey.yaml").write_text((PROJECT / "docs/examples/first-survey.yaml")
                                          .read_text("utf-8"))
    done = run("chatsurvey flows check mine/survey.yaml --library empty", cwd)
    assert done.returncode == 1
    assert "enters flow 'support', which is missing" in done.stdout
    assert "--library DIR" in done.stdout and shlex.quote("empty") in done.stdout
