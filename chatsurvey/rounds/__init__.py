"""Survey rounds: a council running a published flow between two dates.

May import: councils, flows (models), extensions. Never a channel, the admin or `workers`.
"""
