"""Developer tools: the demo, its data, the terminal phone, redaction evaluation (not shipped)."""
