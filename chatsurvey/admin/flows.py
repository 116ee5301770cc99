"""Flow pages: the list, versions, the editor with live checks, diff, publish, roll back.

The flows are the programme's: every member of staff may look at them, only
programme analysts may change them (every route that writes, drafts included,
is ``analyst_only``; see chatsurvey/flows/lock.py). A council's own questions
are its local questions (admin/local.py). Drafts are kept per person and flow
(FlowDraft) until published or thrown away. The editor posts the YAML to
``/flows/<id>/check`` as you type (it saves the draft too) and shows the
problems beside it, each pointing at its line. Publishing, and how it pins
versions, is chatsurvey/flows/publish.py.
"""

from __future__ import annotations

import re

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from chatsurvey.admin.blueprint import analyst_only, bp, current_user
from chatsurvey.admin.scoping import scope
from chatsurvey.engine import FlowError
from chatsurvey.extensions import db
from chatsurvey.flows import editing, publish
from chatsurvey.flows.models import FlowDraft, FlowVersion, latest_versions
from chatsurvey.rounds.models import SurveyRound
from chatsurvey.rounds.moves import pending_moves

FLOW_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


def _flow_id(flow_id: str) -> str:
    if not FLOW_ID.fullmatch(flow_id):
        abort(404)
    return flow_id


def _versions(flow_id: str) -> list[FlowVersion]:
    return list(db.session.scalars(select(FlowVersion).where(FlowVersion.flow_id == flow_id)
                                   .order_by(FlowVersion.version.desc())))


def _version(flow_id: str, version: int) -> FlowVersion:
    row = db.session.scalars(select(FlowVersion).where(
        FlowVersion.flow_id == flow_id, FlowVersion.version == version)).first()
    if row is None:
        abort(404)
    return row


def _draft(flow_id: str) -> FlowDraft | None:
    return db.session.scalars(select(FlowDraft).where(
        FlowDraft.user_id == current_user().id, FlowDraft.flow_id == flow_id)).first()


@bp.get("/flows")
def flows_list():
    latest = latest_versions()
    running = editing.running_counts()
    drafts = {d.flow_id for d in db.session.scalars(select(FlowDraft).where(
        FlowDraft.user_id == current_user().id))}
    return render_template("admin/flows.html", latest=latest, running=running, drafts=drafts)


@bp.post("/flows/new")
@analyst_only
def flow_new():
    flow_id = request.form.get("flow_id", "").strip().lower()
    if not FLOW_ID.fullmatch(flow_id):
        flash("A flow id uses lower-case letters, digits and dashes, like local-fife.", "error")
        return redirect(url_for("admin.flows_list"))
    if _versions(flow_id):
        return redirect(url_for("admin.flow_edit", flow_id=flow_id))
    draft = _draft(flow_id) or FlowDraft(user_id=current_user().id, flow_id=flow_id,
                                         source=editing.NEW_FLOW.format(flow_id=flow_id))
    db.session.add(draft)
    db.session.commit()
    return redirect(url_for("admin.flow_edit", flow_id=flow_id))


@bp.get("/flows/<flow_id>")
def flow_detail(flow_id: str):
    versions = _versions(_flow_id(flow_id))
    if not versions:
        abort(404)
    running = editing.running_counts()
    played = {flow_id} | {r.flow_id for r in latest_versions().values() if flow_id in r.bundle}
    rounds = db.session.scalars(scope(select(SurveyRound), SurveyRound).join(
        FlowVersion, SurveyRound.flow_version_id == FlowVersion.id).where(
        FlowVersion.flow_id.in_(played)))
    return render_template("admin/flow.html", flow_id=flow_id, versions=versions,
                           running=running, draft=_draft(flow_id),
                           moves=pending_moves(list(rounds)))


@bp.get("/flows/<flow_id>/versions/<int:version>")
def flow_version(flow_id: str, version: int):
    row = _version(_flow_id(flow_id), version)
    return render_template("admin/flow_version.html", row=row,
                           lines=row.source.splitlines())


@bp.get("/flows/<flow_id>/diff")
def flow_diff(flow_id: str):
    versions = _versions(_flow_id(flow_id))
    if not versions:
        abort(404)
    numbers = [v.version for v in versions]
    draft = _draft(flow_id)
    a = request.args.get("a", type=int) or (numbers[1] if len(numbers) > 1 else numbers[0])
    b_raw = request.args.get("b", "")
    if b_raw == "draft" and draft is not None:
        b_source, b_name = draft.source, "your draft"
    else:
        b = int(b_raw) if b_raw.isdigit() else numbers[0]
        b_source, b_name = _version(flow_id, b).source, f"version {b}"
    a_row = _version(flow_id, a)
    lines = editing.diff_lines(a_row.source, b_source, f"version {a}", b_name)
    return render_template("admin/flow_diff.html", flow_id=flow_id, numbers=numbers, a=a,
                           b=b_raw or str(numbers[0]), lines=lines, draft=draft)


@bp.route("/flows/<flow_id>/edit", methods=["GET", "POST"])
@analyst_only
def flow_edit(flow_id: str):
    """The editor: GET shows it; POST saves the draft (without JavaScript too)."""
    versions = _versions(_flow_id(flow_id))
    draft = _draft(flow_id)
    if not versions and draft is None:
        abort(404)
    if request.method == "POST":
        draft = _save_draft(flow_id, request.form.get("source", ""), versions)
        db.session.commit()
        flash("Draft saved. Nobody sees it until you publish it.", "success")
        return redirect(url_for("admin.flow_edit", flow_id=flow_id))
    source = draft.source if draft else versions[0].source
    outcome = editing.check_draft(source, flow_id)
    return render_template("admin/flow_edit.html", flow_id=flow_id, source=source,
                           versions=versions, draft=draft, outcome=outcome,
                           locales=list(outcome.flow.locales) if outcome.flow else ["en"],
                           country="england")


def _save_draft(flow_id: str, source: str, versions: list[FlowVersion]) -> FlowDraft:
    draft = _draft(flow_id)
    if draft is None:
        draft = FlowDraft(user_id=current_user().id, flow_id=flow_id,
                          base_version=versions[0].version if versions else None, source=source)
        db.session.add(draft)
    draft.source = source
    return draft


@bp.post("/flows/<flow_id>/check")
@analyst_only
def flow_check(flow_id: str):
    """Live check (JSON): problems with line numbers; the draft is saved as it goes."""
    versions = _versions(_flow_id(flow_id))
    data = request.get_json(silent=True) or {}
    source = data.get("source")
    if not isinstance(source, str):
        return jsonify(error="send {\"source\": the flow's YAML}"), 400
    if not versions and _draft(flow_id) is None:
        abort(404)
    unchanged = versions and versions[0].source == source
    draft = _draft(flow_id)
    if not unchanged or draft is not None:
        _save_draft(flow_id, source, versions)
        db.session.commit()
    outcome = editing.check_draft(source, flow_id)
    return jsonify(outcome.as_json())


@bp.post("/flows/<flow_id>/publish")
@analyst_only
def flow_publish(flow_id: str):
    versions = _versions(_flow_id(flow_id))
    source = request.form.get("source")
    draft = _draft(flow_id)
    if source is None:
        source = draft.source if draft else None
    if source is None:
        abort(400)
    if not versions and draft is None:
        abort(404)
    _save_draft(flow_id, source, versions)
    outcome = editing.check_draft(source, flow_id)
    if outcome.errors:
        db.session.commit()
        flash(f"Not published: {len(outcome.errors)} problem(s) to fix first. They are listed"
              " beside the editor.", "error")
        return redirect(url_for("admin.flow_edit", flow_id=flow_id))
    try:
        published = publish.publish_flow(source, flow_id)
    except FlowError as exc:
        db.session.rollback()
        flash("Not published: " + "; ".join(p.message for p in exc.problems[:3]), "error")
        return redirect(url_for("admin.flow_edit", flow_id=flow_id))
    draft = _draft(flow_id)
    if draft is not None:
        db.session.delete(draft)
    db.session.commit()
    if not published:
        flash("Nothing to publish: the draft is the same as the latest version.", "info")
    else:
        flash("Published " + ", ".join(f"{r.flow_id} version {r.version}" for r in published)
              + ". Conversations already going on stay on their version; rounds stay on theirs"
              " until they are moved (below).", "success")
    return redirect(url_for("admin.flow_detail", flow_id=flow_id))


@bp.post("/flows/<flow_id>/versions/<int:version>/rollback")
@analyst_only
def flow_rollback(flow_id: str, version: int):
    """Publish an earlier version's YAML as a new version."""
    row = _version(_flow_id(flow_id), version)
    try:
        published = publish.roll_back(row)
    except FlowError as exc:
        db.session.rollback()
        flash("Cannot roll back: " + "; ".join(p.message for p in exc.problems[:3]), "error")
        return redirect(url_for("admin.flow_detail", flow_id=flow_id))
    db.session.commit()
    flash(f"Version {version} is published again as the latest version." if published else
          "That version is already the latest.", "success")
    return redirect(url_for("admin.flow_detail", flow_id=flow_id))


@bp.post("/flows/<flow_id>/draft/discard")
@analyst_only
def flow_discard(flow_id: str):
    draft = _draft(_flow_id(flow_id))
    if draft is not None:
        db.session.delete(draft)
        db.session.commit()
    flash("Your draft is thrown away.", "info")
    if _versions(flow_id):
        return redirect(url_for("admin.flow_detail", flow_id=flow_id))
    return redirect(url_for("admin.flows_list"))
