"""Answer scales every flow shares, so answers stay comparable between councils.

Each option's value is what is stored; its label is a system message key, so
the words are translated once for all flows.
"""

from __future__ import annotations

from .model import Option

YESNO = (
    Option("yes", "system:opt.yes"),
    Option("no", "system:opt.no"),
    Option("not_sure", "system:opt.not_sure"),
)

CONSENT = (
    Option("yes", "system:opt.yes"),
    Option("no", "system:opt.no"),
)

# Emoji on the web, numbered words by SMS. 1 is the saddest face.
FACES = (
    Option("1", "system:face.1", "😢", "face-crying"),
    Option("2", "system:face.2", "🙁", "face-frowning"),
    Option("3", "system:face.3", "😐", "face-neutral"),
    Option("4", "system:face.4", "🙂", "face-smiling"),
    Option("5", "system:face.5", "😀", "face-grinning"),
)

_FREQUENCY_VALUES: dict[str, tuple[str, ...]] = {
    "always4": ("always", "most_of_the_time", "sometimes", "never"),
    "always5": ("always", "most_of_the_time", "sometimes", "hardly_ever", "never"),
    "trust4": ("all_of_the_time", "most_of_the_time", "some_of_the_time", "never"),
    # The ONS loneliness measure's five answers.
    "lonely5": ("often_always", "some_of_the_time", "occasionally", "hardly_ever", "never"),
    # Is the amount of contact right? (family time)
    "amount3": ("too_little", "about_right", "too_much"),
    "agree5": ("strongly_agree", "agree", "neither", "disagree", "strongly_disagree"),
}

FREQUENCY: dict[str, tuple[Option, ...]] = {
    name: tuple(Option(value, f"system:opt.{value}") for value in values)
    for name, values in _FREQUENCY_VALUES.items()
}

# The 0-10 scale used for the ONS personal well-being questions.
SCALE_MIN = 0
SCALE_MAX = 10
