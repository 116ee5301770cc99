"""Comments review (programme analysts): redacted free-text answers, flagged ones first.

Each comment was redacted when it was stored (chatsurvey/responses/redact.py) and waits
as "pending". A reviewer approves it, edits the redaction (takes more out) and
approves it, or rejects it (`chatsurvey.responses.actions.review_comment`). Reports
show approved comments only, so nothing unreviewed reaches a council. The audit
entry records the decision, never the words.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from chatsurvey.admin.blueprint import analyst_only, bp
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.responses.actions import Refused, comment_queue, review_comment
from chatsurvey.responses.models import REVIEW_STATUSES, Comment
from chatsurvey.rounds.models import SurveyRound

PAGE = 25


@bp.get("/comments")
@analyst_only
def comments():
    status = request.args.get("status", "pending")
    if status not in REVIEW_STATUSES:
        status = "pending"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    tenant_id = request.args.get("council", type=int)
    search = request.args.get("q", "")[:100]
    found = comment_queue(status, PAGE, (page - 1) * PAGE, tenant_id, search)
    items = found.items
    counts = dict(db.session.execute(select(Comment.status, func.count())
                                     .group_by(Comment.status)).all())
    rounds = {r.id: r for r in db.session.scalars(select(SurveyRound).where(
        SurveyRound.id.in_({c.response.round_id for c in items})))}
    tenants = {t.id: t for t in db.session.scalars(select(Tenant).order_by(Tenant.name))}
    pages = max(1, -(-found.total // PAGE))
    return render_template("admin/comments.html", items=items, status=status, counts=counts,
                           rounds=rounds, tenants=tenants, page=min(page, pages), pages=pages,
                           total=found.total, council=tenant_id, q=search)


@bp.post("/comments/<int:comment_id>")
@analyst_only
def comment_review(comment_id: int):
    comment = for_tenant(Comment, comment_id)
    try:
        review_comment(comment, request.form.get("action", ""), request.form.get("text", ""))
    except Refused as refused:
        flash(str(refused), "error")
        return redirect(url_for("admin.comments") + f"#comment-{comment.id}")
    flash({"approved": "Approved" + (" with your edits" if comment.edited else ""),
           "rejected": "Rejected"}[comment.status] + ": it "
          + ("can appear in reports." if comment.status == "approved" else
             "will not appear in any report."), "success")
    return redirect(url_for("admin.comments"))
