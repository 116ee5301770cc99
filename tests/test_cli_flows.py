"""The flow tools on the command line: check, simulate and chat."""

import json

from click.testing import CliRunner

from chatsurvey.cli import main
from tests.helpers import FIXTURE_FLOWS, MINIMAL


def run(*args, input=None, env=None):
    return CliRunner().invoke(main, list(args), input=input, env=env)


def test_check_prints_figures_and_fails_on_errors():
    result = run("flows", "check", str(FIXTURE_FLOWS))
    assert result.exit_code == 1
    out = result.output
    assert "pets v1 \"Pets and me\"" in out and "6 questions, about" in out
    assert "reading age:" in out and "SMS: 100% of" in out
    assert "cy: " in out and "% translated" in out and "awaiting review" in out
    assert "error: field 'messages.hello', locale cy" in out
    assert "warnings; -v shows them)" in out
    flows = len(list(FIXTURE_FLOWS.glob("*.yaml"))) + 1  # and the system messages
    assert out.rstrip().endswith(f"in {flows} flows")
    verbose = run("flows", "check", "-v", str(FIXTURE_FLOWS)).output
    assert "warning: " in verbose and "-v shows them" not in verbose


def test_check_passes_a_clean_flow_and_reports_json(tmp_path):
    (tmp_path / "mini.yaml").write_text(MINIMAL)
    result = run("flows", "check", str(tmp_path / "mini.yaml"))
    assert result.exit_code == 0, result.output
    assert "0 errors, 0 warnings in 1 flows" in result.output
    data = json.loads(run("flows", "check", "--json", str(tmp_path)).output)
    assert data["errors"] == 0 and data["flows"][0]["flow"] == "mini"
    assert data["flows"][0]["questions"] == 1


def test_check_names_the_messages_kept_verbatim(tmp_path):
    (tmp_path / "mini.yaml").write_text(MINIMAL.replace(
        "messages:\n", "messages:\n  ons:\n    text: Overall, how satisfied are you with"
        " your life nowadays?\n    verbatim: ONS personal well-being\n", 1))
    out = run("flows", "check", "-v", str(tmp_path)).output
    assert "kept verbatim for comparability, not held to the reading age:" in out
    assert "ons (ONS personal well-being)" in out


def test_check_reports_a_broken_file_with_its_line(tmp_path):
    (tmp_path / "bad.yaml").write_text(MINIMAL.replace("ask: yesno", "ask: sliders"))
    result = run("flows", "check", str(tmp_path))
    assert result.exit_code == 1
    assert "bad.yaml:11: error: state 'q', field 'ask': is \"sliders\"" in result.output
    data = json.loads(run("flows", "check", "--json", str(tmp_path)).output)
    assert data["problems"][0]["line"] == 11 and data["errors"] == 1


def test_check_with_explicit_locales(tmp_path):
    result = run("flows", "check", "--locales", str(tmp_path), str(FIXTURE_FLOWS / "kids.yaml"))
    assert "cy: 0% translated" in result.output


def test_simulate_by_id_and_errors(tmp_path):
    result = run("simulate", "kids", "--flows", str(FIXTURE_FLOWS), "--no-events",
                 input="# a comment\n\n5\nyes\nmore\n")
    assert result.exit_code == 0
    assert "     · " not in result.output and result.output.rstrip().endswith("# complete")
    assert "you: more" not in result.output  # input after the end is ignored
    env = {"CHATSURVEY_FLOWS_DIR": str(FIXTURE_FLOWS)}
    assert run("simulate", "kids", input="5\n", env=env).exit_code == 0
    missing = run("simulate", "nope", "--flows", str(FIXTURE_FLOWS))
    assert missing.exit_code == 1 and "no working flow called 'nope'" in missing.output
    (tmp_path / "bad.yaml").write_text(MINIMAL.replace("prompt: q", "prompt: qq"))
    broken = run("simulate", str(tmp_path / "bad.yaml"))
    assert broken.exit_code == 1 and "this flow has errors" in broken.output
    bad_param = run("simulate", "kids", "--flows", str(FIXTURE_FLOWS), "--param", "oops")
    assert bad_param.exit_code == 2 and "is not NAME=VALUE" in bad_param.output


def test_simulate_reads_json_lines_and_bad_json_as_text():
    result = run("simulate", "kids", "--flows", str(FIXTURE_FLOWS), input='{"value": 5}\n{xyz\n')
    assert 'you: {"value": 5}' in result.output
    assert "Please tap one of the answers." in result.output


def test_chat_plays_in_the_terminal():
    result = run("chat", str(FIXTURE_FLOWS / "kids.yaml"), "--channel", "sms", input="5\n")
    assert result.exit_code == 0
    assert "(1/2) How did you feel yesterday?" in result.output
    assert result.output.rstrip().endswith("# active")
    done = run("chat", "kids", "--flows", str(FIXTURE_FLOWS), "--events", input="5\nyes\n")
    assert "· finished" in done.output and done.output.rstrip().endswith("# complete")
