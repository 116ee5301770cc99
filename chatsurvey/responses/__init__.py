"""Finished conversations becoming anonymous responses: anonymise, redact, store, review.

May import: the engine (safeguarding), models, extensions. Never a channel, the admin,
conversations in progress or `workers`.
"""
