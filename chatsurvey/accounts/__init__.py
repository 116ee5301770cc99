"""Staff accounts: who signs in to the admin, with which role, for which council.

May import: councils (models), columns, extensions. Never the admin, the command line,
a channel or `workers`.
"""
