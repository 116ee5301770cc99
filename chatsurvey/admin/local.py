"""A council's local questions: the page, the live check, publishing, and trying them out.

The block belongs to the council named in the URL, loaded through
``for_tenant`` (another council's is "Page not found"). Council admins and
programme analysts change it; viewers read it. What a block may hold, and how
it reaches only that council's rounds, is chatsurvey/flows/lock.py and
chatsurvey/flows/local.py; this module only shows and posts.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from chatsurvey.admin.blueprint import bp, current_user, editors
from chatsurvey.admin.local_form import local_draft, working_source
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.admin.simulator import play
from chatsurvey.councils.models import Tenant
from chatsurvey.engine import FlowError
from chatsurvey.extensions import db
from chatsurvey.flows import local, local_form
from chatsurvey.flows.models import LocalQuestions, latest_versions
from chatsurvey.flows.store import flow_store
from chatsurvey.rounds.models import SurveyRound
from chatsurvey.rounds.moves import pending_moves


def _versions(tenant: Tenant) -> list[LocalQuestions]:
    return list(db.session.scalars(select(LocalQuestions).where(
        LocalQuestions.tenant_id == tenant.id).order_by(LocalQuestions.version.desc())))


def _entry_flow() -> str | None:
    """The flow rounds start on, to try the block in: of those that ask for consent first,
    the one that enters the most flows (the entry flow enters every survey)."""
    store = flow_store()
    starts = [row for row in latest_versions().values()
              if store.get(row.flow_id, row.version).requires_consent]
    return max(starts, key=lambda row: (len(row.bundle), row.flow_id)).flow_id if starts \
        else None


def _page(tenant: Tenant, source: str, check: local.LocalCheck | None, status: int = 200):
    versions = _versions(tenant)
    rounds = db.session.scalars(select(SurveyRound).where(SurveyRound.tenant_id == tenant.id))
    return render_template("admin/local_questions.html", tenant=tenant, source=source,
                           check=check, versions=versions, slots=local.offered_slots(),
                           entry=_entry_flow(), country=tenant.country,
                           moves=pending_moves(list(rounds)),
                           questions=local_form.questions(source),
                           draft=local_draft(tenant) if current_user().can_edit else None), \
        status


@bp.get("/councils/<int:tenant_id>/local-questions")
def local_questions(tenant_id: int):
    tenant = for_tenant(Tenant, tenant_id)
    latest = LocalQuestions.latest(tenant.id)
    if current_user().can_edit:
        source = working_source(tenant)
        return _page(tenant, source, local.check_local(source))
    return _page(tenant, latest.source if latest else local.EXAMPLE, None)


@bp.post("/councils/<int:tenant_id>/local-questions")
@editors
def local_questions_publish(tenant_id: int):
    """Publish the block posted; if it is refused, the page shows it again with its problems."""
    tenant = for_tenant(Tenant, tenant_id)
    source = request.form.get("source", "")
    try:
        row = local.publish_local(source, tenant.id, current_user().id)
    except local.LocalError as exc:
        db.session.rollback()
        flash(f"Not published: {len(exc.problems)} problem(s) to fix first. They are listed"
              " beside the editor.", "error")
        return _page(tenant, source, local.check_local(source), 400)
    draft = local_draft(tenant)
    if draft is not None:
        db.session.delete(draft)
    db.session.commit()
    if row is None:
        flash("Nothing to publish: this is the same as your latest version.", "info")
    else:
        flash(f"Published version {row.version} of your local questions. Rounds you set up from"
              " now on ask them; rounds already set up keep the version they have until you"
              " move them (below).", "success")
    return redirect(url_for("admin.local_questions", tenant_id=tenant.id))


@bp.post("/councils/<int:tenant_id>/local-questions/check")
@editors
def local_questions_check(tenant_id: int):
    """Live check (JSON), for the editor's panel. Nothing is saved."""
    for_tenant(Tenant, tenant_id)
    data = request.get_json(silent=True) or {}
    if not isinstance(data.get("source"), str):
        return jsonify(error="send {\"source\": your local questions}"), 400
    return jsonify(local.check_local(data["source"]).as_json())


@bp.post("/councils/<int:tenant_id>/local-questions/simulator")
@editors
def local_questions_simulate(tenant_id: int):
    """Chat through the programme's latest flow with this block in it, as the council's own."""
    tenant = for_tenant(Tenant, tenant_id)
    data: dict[str, Any] = request.get_json(silent=True) or {}
    source, flow_id = data.get("source"), data.get("flow_id")
    row = latest_versions().get(flow_id) if isinstance(flow_id, str) else None
    if not isinstance(source, str) or row is None:
        return jsonify(error="send your local questions as source, and a published flow_id"), 400
    # The whole check when the chat starts; on each turn after it, the rules alone (fast).
    errors = local.check_local(source).errors if data.get("state") is None else \
        local.rule_errors(source)
    if errors:
        return jsonify(error="Your local questions have errors, so they cannot be played yet:"
                       f" line {errors[0].line or '?'}: {errors[0].message}"), 422
    try:
        flow = local.compose(row, local.read_block(source))
    except FlowError as exc:
        return jsonify(error=local.explain(exc)), 422
    return play(flow, data, tenant.display_name)
