"""The engine must not depend on the web, Redis or SQL (architecture rule)."""

import subprocess
import sys
import textwrap

from tests.helpers import FIXTURE_FLOWS

BLOCKED = ("flask", "werkzeug", "redis", "rq", "sqlalchemy", "flask_sqlalchemy", "twilio")

SCRIPT = textwrap.dedent("""
    import importlib, pkgutil, sys

    BLOCKED = {blocked!r}

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError("blocked: " + name)
            return None

    sys.meta_path.insert(0, Blocker())
    try:
        import flask  # the blocker must really block
    except ImportError:
        pass
    else:
        raise SystemExit("blocker does not work")

    import chatsurvey.engine as engine
    for module in pkgutil.iter_modules(engine.__path__):
        importlib.import_module("chatsurvey.engine." + module.name)

    library = engine.FlowLibrary.load([{flows!r}])
    flow = library.get("pets")
    state, replies, events = engine.start(flow, channel="sms")
    state, replies, events = engine.advance(flow, state, engine.Text("yes"))
    assert engine.State.load(flow, state.dump(flow)) == state
    assert replies, "no reply"
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not loaded, loaded
    print("pure")
""")


def test_engine_runs_with_flask_redis_and_sqlalchemy_blocked():
    script = SCRIPT.format(blocked=BLOCKED, flows=str(FIXTURE_FLOWS))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "pure"
