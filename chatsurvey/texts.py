"""What chatsurvey itself texts, around the flows: keyword replies, invitations, reminders.

Every sentence is a gettext message of the "sms" domain, with a context
(``sms:<name>``) as the flows' messages have. The English is here, marked
``P_`` for `make locales`; translations are in
``chatsurvey/locales/<locale>/LC_MESSAGES/sms.po``, shipped with the code:
these are the service's own words, which no council or flow edits. They are
read by the engine's `Catalogue`, so the flows' rules hold: a translation a
translator marked fuzzy (awaiting a native speaker's review) is used; one
whose English has changed since is not, and the English is sent instead.
Placeholders are ``%(council)s`` (the name young people see) and ``%(keywords)s``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from chatsurvey.councils.models import Tenant
from chatsurvey.engine.catalogue import Catalogue

DOMAIN = "sms"
SOURCE_LOCALE = "en"
CATALOGUES = Path(__file__).resolve().parent / "locales"


@dataclass(frozen=True)
class Text:
    """One sentence chatsurvey sends: its catalogue context and its English."""

    context: str
    english: str


def P_(context: str, english: str) -> Text:  # noqa: N802 (gettext's pgettext marker)
    """Mark a sentence for extraction (`make locales`); it is translated when sent."""
    return Text(context, english)


# Replies to keywords and to texts that start no survey.
NO_SURVEY = P_("sms:no_survey", "Hi! There is no survey running at the moment. Thank you "
                                "for getting in touch.")
STOPPED = P_("sms:stopped", "OK, you will not get any more texts from us. Text START if you "
                            "change your mind.")
OPTED_OUT = P_("sms:opted_out", "You asked us to stop texting you. Text START if you want to "
                                "take part.")
WHICH = P_("sms:which", "Which survey? Please text one of these words: %(keywords)s")
HELP = P_("sms:help", "This number is run by %(council)s. Text STOP to stop getting texts.")
ALREADY_DONE = P_("sms:already_done", "You have already done this survey. Thank you! Your "
                                      "answers help %(council)s make things better.")

# Told with a new SMS conversation's first texts: someone may read the young person's phone.
THREAD_DELETED = P_("sms:thread_deleted", "We delete these texts on our side when you finish. "
                                          "They stay on your phone. You can delete them there.")
THREAD_KEPT = P_("sms:thread_kept", "These texts stay on your phone. You can delete them when "
                                    "you finish.")

# Invitations: short, warm, one SMS, and saying nothing on a lock screen about what the
# survey asks. The reminder asks for "?" (the engine's help: it shows the question again)
# rather than "just reply", so a reply cannot be taken as an answer to a question not on
# screen.
INVITE = P_("sms:invite", "Hi, it's %(council)s. We'd like to hear how things are going for "
                          "you. Reply YES to start, or STOP if you'd rather not get texts.")
REMINDER = P_("sms:reminder", "Hi, it's %(council)s again. You can carry on any time: text ? "
                              "to see where you were. Text STOP to opt out.")

# The first text of a conversation offers the council's other languages, one line each,
# every line in its own language: "Reply AR for العربية". %(language)s is the language's
# own name (chatsurvey.engine.languages); %(keyword)s the word to text, kept as it is.
CHOOSE_LANGUAGE = P_("sms:choose_language", "Reply %(keyword)s for %(language)s")

MESSAGES = (NO_SURVEY, STOPPED, OPTED_OUT, WHICH, HELP, ALREADY_DONE, THREAD_DELETED,
            THREAD_KEPT, INVITE, REMINDER, CHOOSE_LANGUAGE)


@functools.lru_cache(maxsize=4)
def catalogue(directory: Path) -> Catalogue:
    """The "sms" catalogues under ``directory``, read once per process."""
    return Catalogue.from_directory(directory, DOMAIN)


def has_words_in(locale: str) -> bool:
    """Whether chatsurvey has its own texts in ``locale`` (English always)."""
    return locale == SOURCE_LOCALE or locale in catalogue(CATALOGUES).locales()


def sms_text(tenant: Tenant, text: Text, locale: str | None = None, **values: str) -> str:
    """``text`` in ``locale``, or else in the council's first language we have words in."""
    if locale is None or not has_words_in(locale):
        locale = next((loc for loc in tenant.offered_locales() if has_words_in(loc)),
                      SOURCE_LOCALE)
    shown = catalogue(CATALOGUES).translate(locale, text.context, text.english) or text.english
    return shown % {"council": tenant.display_name, **values}
