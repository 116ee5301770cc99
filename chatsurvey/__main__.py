"""`python -m chatsurvey ...` is the same as the `chatsurvey` command."""

from .cli import main

main()
