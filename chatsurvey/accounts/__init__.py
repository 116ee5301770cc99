"""Staff accounts: who signs in to the admin, with which role, for which council.

May import: councils (models), extensions. Never a channel or `workers`.
"""
