"""Choosing a language by text message: the offer in the first text, and the word that chooses.

A council may offer several languages (`Tenant.locales`, from the registry in
`chatsurvey.engine.languages`). The first text of a conversation starts in the
council's first language and, above it, offers the others, one short line each and
every line in its own language ("Reply AR for العربية"). Texting the keyword (or the
language's own name, in any case, with or without accents) as the first message
starts the survey in that language; texting it before answering anything starts
again in it (`conversations.restart_in`). After that, it is an ordinary answer.

Any text channel (SMS, WhatsApp) uses these by name: `offered_languages`,
`chosen_language`, `language_offer`.
"""

from __future__ import annotations

from chatsurvey import texts
from chatsurvey.councils.models import Tenant
from chatsurvey.engine.languages import BY_CODE, by_keyword
from chatsurvey.engine.sms import segments
from chatsurvey.flows.store import flow_store
from chatsurvey.rounds.models import SurveyRound

OFFER_SEGMENTS = 2
"""The most SMS segments the language offer may take as sentences."""


def offered_languages(survey_round: SurveyRound) -> list[str]:
    """The council's languages that this round's flow speaks, the council's first first."""
    version = survey_round.flow_version
    flow_locales = flow_store().get(version.flow_id, version.version).locales
    return [loc for loc in survey_round.tenant.offered_locales() if loc in flow_locales]


def chosen_language(body: str, offered: list[str]) -> str | None:
    """The offered language a message chooses, if the whole message is its keyword."""
    found = by_keyword(body, offered)
    return found.code if found is not None else None


def language_offer(tenant: Tenant, offered: list[str], current: str) -> str:
    """One line per other offered language, each in its own words ("" if there is none).

    A council offering many languages would make that a long text: past
    OFFER_SEGMENTS it becomes a plain list, "AR العربية / FA فارسی / ...".
    """
    others = [BY_CODE[code] for code in offered if code != current and code in BY_CODE]
    offer = "\n".join(texts.sms_text(tenant, texts.CHOOSE_LANGUAGE, language.code,
                                     keyword=language.keyword, language=language.native)
                      for language in others)
    if segments(offer) > OFFER_SEGMENTS:
        offer = " / ".join(f"{language.keyword} {language.native}" for language in others)
    return offer
