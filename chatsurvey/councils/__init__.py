"""Councils (tenants): their settings, numbers and the sites that may embed the chat.

May import: models and extensions. Never a channel, the admin or `workers`.
"""
