"""Job entry point: delete finished SMS threads at Twilio (chatsurvey.channels.sms.deletion)."""

from __future__ import annotations

from chatsurvey.channels.sms import deletion
from workers.app import job_context


def delete_finished_threads(tenant_id: int) -> str:
    """Delete the council's SMS threads that no conversation is using any more."""
    with job_context():
        return deletion.delete_finished_threads(tenant_id)
