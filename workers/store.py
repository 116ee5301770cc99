"""Job entry point: anonymise and store finished conversations (chatsurvey.responses.store)."""

from __future__ import annotations

from chatsurvey.responses import store
from workers.app import job_context


def store_response(submission_id: str) -> str:
    """Store one finished conversation, and others waiting with it; what happened."""
    with job_context():
        return store.store_response(submission_id)
