"""Finished conversations becoming anonymous responses: anonymise, redact, store, review.

``actions`` holds the changes people make (comment review, paper entry);
``paper`` turns a paper questionnaire into a finished conversation's record.
May import: the engine (answers, safeguarding), flows (published versions),
councils, rounds, conversations (finished transcripts only), audit, jobs,
extensions. Never a channel, the admin, the command line or `workers`.
"""
