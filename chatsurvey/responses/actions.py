"""Changes people make to stored responses: reviewing comments, entering paper questionnaires.

Each is one function that checks, writes, audits and commits, so the admin's
views stay thin. Audit entries record decisions and counts, never a young
person's words, and never which response a paper copy became (nobody may tie a
response to the person who typed it in).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from chatsurvey.audit import record
from chatsurvey.engine import Flow
from chatsurvey.extensions import db
from chatsurvey.responses.anonymise import anonymise
from chatsurvey.responses.models import Comment, Response
from chatsurvey.responses.paper import transcript
from chatsurvey.responses.store import insert_responses
from chatsurvey.rounds.models import CLOSED, SurveyRound

DECISIONS = ("approve", "edit", "reject")
MAX_COMMENT = 5000


class Refused(ValueError):
    """Nothing was written; ``problems`` says why, by field."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems


# -- comments ---------------------------------------------------------------------------


def comment_queue(status: str = "pending", limit: int = 25) -> list[Comment]:
    """Comments with ``status``: safeguarding-flagged first, then oldest first."""
    return list(db.session.scalars(
        select(Comment).join(Response, Comment.response_id == Response.id)
        .where(Comment.status == status)
        .order_by(Comment.flagged.desc(), Comment.id).limit(limit)))


def review_comment(comment: Comment, decision: str, text: str = "") -> Comment:
    """Approve, edit (take more out, then approve) or reject a redacted comment.

    Only approved comments can reach a report.
    """
    if decision not in DECISIONS:
        raise Refused({"action": "Choose approve, edit or reject."})
    text = text.strip()
    if decision == "edit" and not text:
        raise Refused({"text": "The edited comment is empty: reject it instead."})
    if decision == "edit":
        comment.text = text[:MAX_COMMENT]
        comment.edited = True
    comment.status = "rejected" if decision == "reject" else "approved"
    record(f"comment.{comment.status}", comment, tenant_id=comment.response.tenant_id,
           flagged=comment.flagged, edited=comment.edited)
    db.session.commit()
    return comment


# -- paper questionnaires ---------------------------------------------------------------


def enter_paper(survey_round: SurveyRound, flow: Flow, answers: Mapping[str, Any],
                skipped: list[str], consent: bool) -> None:
    """Store a paper questionnaire as an anonymous response of ``survey_round``.

    Refused when the young person did not say yes on the paper, when nothing
    was answered, or when the round has closed (its report is final).
    """
    if survey_round.status() == CLOSED:
        raise Refused({"consent": "This round has closed and its report is final: paper "
                                  "questionnaires can no longer be entered."})
    if not consent:
        raise Refused({"consent": "Tick this box only if the young person said yes to taking "
                                  "part on the paper."})
    if not answers:
        raise Refused({"consent": "Nothing was answered: there is nothing to store."})
    insert_responses([anonymise(transcript(survey_round, flow, answers, skipped),
                                survey_round.tenant.redact_terms or ())])
    record("paper.entered", survey_round, survey=flow.survey, flow=flow.id,
           answered=len(answers))
    db.session.commit()
