"""The web chat: the JSON API under /api/v1/, the chat page, its theme and the widget."""
