"""Background job entry points (RQ). Each job takes plain JSON arguments only."""
