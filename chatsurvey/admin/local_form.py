"""The local questions' forms: add, change, move and delete a council's own questions.

Each change is made to the person's draft of the council's block (a FlowDraft
named ``local-questions:<council id>``, seen by them only), through
chatsurvey/flows/local_form.py, which keeps the YAML's comments and layout. The
local questions page then shows the draft in its editor, checked as usual, and
publishing it is the page's Publish. Only the council's own block is ever
edited here: a programme question is not in it, so no form exists for one, and
a request naming one is "Page not found".
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from chatsurvey.admin.blueprint import bp, current_user, editors
from chatsurvey.admin.scoping import for_tenant
from chatsurvey.councils.models import Tenant
from chatsurvey.extensions import db
from chatsurvey.flows import local, local_form
from chatsurvey.flows.models import FlowDraft, LocalQuestions

LOCALES = {"wales": ["cy"], "scotland": ["gd"]}


def draft_name(tenant: Tenant) -> str:
    return f"local-questions:{tenant.id}"


def local_draft(tenant: Tenant) -> FlowDraft | None:
    """The signed-in person's unpublished edit of the council's local questions."""
    return db.session.scalars(select(FlowDraft).where(
        FlowDraft.user_id == current_user().id, FlowDraft.flow_id == draft_name(tenant))).first()


def working_source(tenant: Tenant) -> str:
    """The block being worked on: the person's draft, else the latest published, else the
    example."""
    draft = local_draft(tenant)
    if draft is not None:
        return draft.source
    latest = LocalQuestions.latest(tenant.id)
    return latest.source if latest else local.EXAMPLE


def save_draft(tenant: Tenant, source: str) -> None:
    draft = local_draft(tenant) or FlowDraft(user_id=current_user().id,
                                             flow_id=draft_name(tenant), source=source)
    draft.source = source
    db.session.add(draft)
    db.session.commit()


def _locales(tenant: Tenant, source: str) -> list[str]:
    try:
        written = list(local_form.load(source).get("translations") or {})
    except local_form.FormError:
        written = []
    return ["en", *dict.fromkeys(LOCALES.get(tenant.country, []) + [str(k) for k in written])]


def _form(tenant: Tenant, source: str) -> local_form.QuestionForm:
    form = request.form
    return local_form.QuestionForm(
        name=form.get("name", ""), slot=form.get("slot", ""), ask=form.get("ask", ""),
        texts={loc: form.get(f"text_{loc}", "") for loc in _locales(tenant, source)},
        options=form.get("options", "").splitlines(), only_if=form.get("only_if", ""),
        only_if_answer=form.get("only_if_answer", "").strip())


def _page(tenant, source, question, adding, errors, status=200):
    slots = {s: q for s, q in local.offered_slots().items() if q}
    earlier = [q for q in local_form.questions(source) if q.name != question.name]
    return render_template("admin/local_question_form.html", tenant=tenant, q=question,
                           adding=adding, errors=errors, slots=slots, asks=local_form.ASKS,
                           locales=_locales(tenant, source), earlier=earlier), status


@bp.route("/councils/<int:tenant_id>/local-questions/questions/new", methods=["GET", "POST"])
@editors
def local_question_new(tenant_id: int):
    """Add a question to the council's block (in the person's draft)."""
    tenant = for_tenant(Tenant, tenant_id)
    source = working_source(tenant)
    if request.method == "GET":
        return _page(tenant, source, local_form.QuestionForm(slot="before_open_questions"),
                     True, {})
    return _save(tenant, source, _form(tenant, source), adding=True)


@bp.route("/councils/<int:tenant_id>/local-questions/questions/<name>",
          methods=["GET", "POST"])
@editors
def local_question_edit(tenant_id: int, name: str):
    """Change one of the council's own questions; any other name is not found."""
    tenant = for_tenant(Tenant, tenant_id)
    source = working_source(tenant)
    found = next((q for q in local_form.questions(source) if q.name == name), None)
    if found is None:
        abort(404)
    if request.method == "GET":
        return _page(tenant, source, found, False, {})
    form = _form(tenant, source)
    form.name = name
    return _save(tenant, source, form, adding=False)


def _save(tenant: Tenant, source: str, form: local_form.QuestionForm, adding: bool):
    slots = local.offered_slots()
    try:
        changed = local_form.save_question(source, form, slots, adding)
    except local_form.FormError as exc:
        return _page(tenant, source, form, adding, exc.problems, 400)
    save_draft(tenant, changed)
    flash(f"{'Added' if adding else 'Changed'} {form.name} in your draft. Publish it when you "
          "are ready: nobody sees it until then.", "success")
    return redirect(url_for("admin.local_questions", tenant_id=tenant.id) + "#your-questions")


@bp.post("/councils/<int:tenant_id>/local-questions/questions/<name>/move")
@editors
def local_question_move(tenant_id: int, name: str):
    tenant = for_tenant(Tenant, tenant_id)
    step = -1 if request.form.get("direction") == "up" else 1
    try:
        save_draft(tenant, local_form.move_question(working_source(tenant), name, step))
    except local_form.FormError:
        abort(404)
    return redirect(url_for("admin.local_questions", tenant_id=tenant.id) + "#your-questions")


@bp.post("/councils/<int:tenant_id>/local-questions/questions/<name>/delete")
@editors
def local_question_delete(tenant_id: int, name: str):
    tenant = for_tenant(Tenant, tenant_id)
    try:
        save_draft(tenant, local_form.delete_question(working_source(tenant), name))
    except local_form.FormError:
        abort(404)
    flash(f"Deleted {name} from your draft.", "success")
    return redirect(url_for("admin.local_questions", tenant_id=tenant.id) + "#your-questions")


@bp.post("/councils/<int:tenant_id>/local-questions/draft/discard")
@editors
def local_questions_discard(tenant_id: int):
    tenant = for_tenant(Tenant, tenant_id)
    draft = local_draft(tenant)
    if draft is not None:
        db.session.delete(draft)
        db.session.commit()
    flash("Your draft is thrown away.", "info")
    return redirect(url_for("admin.local_questions", tenant_id=tenant.id))


@bp.post("/councils/<int:tenant_id>/local-questions/text-check")
@editors
def local_question_text_check(tenant_id: int):
    """Reading age and SMS length of a question's words, for the form (JSON)."""
    for_tenant(Tenant, tenant_id)
    text = (request.get_json(silent=True) or {}).get("text")
    if not isinstance(text, str) or len(text) > 2000:
        return jsonify(error="send {\"text\": the question's words}"), 400
    return jsonify(local_form.text_checks(text))
