"""Flows as published data: versions, drafts, who may change what, and the compiled cache.

May import: the engine, models and extensions. Never a channel, the admin or `workers`.
"""
