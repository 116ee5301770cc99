"""Councils (tenants): their settings, numbers and the sites that may embed the chat.

``models`` holds the tables; ``actions`` adds and changes a council (one validation
for the admin and `chatsurvey tenants`). May import: audit, columns, crypto,
the engine's language registry,
extensions. Never the admin, the command line, a channel or `workers`.
"""
