"""A new web process compiles the flows of open rounds before the first young person arrives."""

from __future__ import annotations

from chatsurvey.extensions import db
from chatsurvey.flows.store import flow_store


def test_warming_compiles_the_flows_of_open_rounds_only(app, survey):
    store = flow_store()
    store._compiled.clear()
    version = survey.flow_version
    assert store.warm() == 1
    assert list(store._compiled) == [(version.flow_id, version.version)]

    survey.closes_at = survey.opens_at  # closed: nothing to warm
    db.session.commit()
    store._compiled.clear()
    assert store.warm() == 0 and not store._compiled


def test_gunicorn_workers_warm_the_flows_as_they_start(app, survey):
    import gc
    import runpy
    from pathlib import Path

    config = runpy.run_path(str(Path(__file__).resolve().parent.parent / "gunicorn.conf.py"))
    flow_store()._compiled.clear()
    try:
        config["post_worker_init"](type("Worker", (), {"wsgi": app})())
        # What the worker built is kept out of the collector's full passes from now on.
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert (survey.flow_version.flow_id, survey.flow_version.version) in flow_store()._compiled
