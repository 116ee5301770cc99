"""Survey rounds: a council running a published flow between two dates.

``models`` holds the tables and a round's state (Scheduled, Open, Closed); ``moves``
says what moving a round to the latest published versions would change;
``actions`` sets rounds up, changes, opens, closes and extends them for the admin
and `chatsurvey rounds` alike. May import: councils, flows (published versions),
audit, columns, extensions. Never the admin, the command line, a channel or `workers`.
"""
