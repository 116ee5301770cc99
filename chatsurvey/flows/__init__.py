"""Flows as published data: versions, drafts, who may change what, and the compiled cache.

May import: the engine, accounts (who edits a draft), rounds (which versions are in
use), conversations (to clear what a republished flow invalidates), columns,
extensions. Never a channel, the admin, the command line or `workers`.
"""
