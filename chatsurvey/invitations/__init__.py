"""Inviting young people to a round by SMS: the upload, sending, reminders and opt-outs.

May import: councils, rounds, models, extensions. Never a channel, the admin or `workers`.
"""
