"""Inviting young people to a round by SMS: the upload, sending, reminders and opt-outs.

``actions`` is the one path for the admin and `chatsurvey invitations` (check,
store, audit, commit, then queue); ``upload`` reads the CSV; ``schedule`` says
when texts may go and what they say; ``sending`` is the jobs' logic (Twilio).
May import: councils, rounds, conversations (to see who is mid-survey), the
engine (SMS length), audit, crypto, jobs, extensions. Never the admin, the
command line, a channel or `workers`.
"""
