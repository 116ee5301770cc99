"""`python -m chatsurvey ...` is the same as the `chatsurvey` command."""

from chatsurvey.cli import main

main()
