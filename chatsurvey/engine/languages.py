"""The languages chatsurvey speaks: one registry for codes, names, direction and keywords.

Every part that names a language reads it here: the council settings (which
languages a council may offer), the chat page's language picker (each language
in its own name and script, with its direction), the first SMS that offers
languages ("Reply AR for العربية") and the words that choose one, the
catalogues' Babel locale (plural rules and number formats).

The list is the UK's main languages of young people in care: English, Welsh and
Gaelic, and the main languages of unaccompanied children arriving in the UK.
Dari (``prs``) has no locale of its own in Babel's CLDR data: it is the
Persian of Afghanistan, so its formats and plural rules are ``fa_AF``'s.

A keyword is matched as people type it: any case, with or without accents
(``fold``), so "ar", "Ar" and "AR" all choose Arabic, and "dung" is "dừng".
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Language:
    """One language chatsurvey can offer."""

    code: str
    """The gettext locale of its catalogues (``locales/<code>/``), e.g. ``ar``."""
    english: str
    """Its name for staff, in English."""
    native: str
    """Its own name, in its own script: what a young person looks for."""
    direction: str
    """"rtl" or "ltr"."""
    babel: str
    """The Babel (CLDR) locale for plural rules and formats."""
    keyword: str
    """The word texted to choose it, as the first SMS offers it (e.g. "AR")."""
    aliases: tuple[str, ...] = ()
    """Other words that choose it: its own name as people write it, in either script."""


LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "English", "ltr", "en", "EN", ("english", "inglisi")),
    Language("cy", "Welsh", "Cymraeg", "ltr", "cy", "CY", ("cymraeg", "welsh")),
    Language("gd", "Scottish Gaelic", "Gàidhlig", "ltr", "gd", "GD", ("gàidhlig", "gaelic")),
    Language("ar", "Arabic", "العربية", "rtl", "ar", "AR",
             ("العربية", "عربي", "عربية", "arabic", "arabi")),
    Language("fa", "Farsi (Persian)", "فارسی", "rtl", "fa", "FA",
             ("فارسی", "farsi", "persian")),
    Language("ps", "Pashto", "پښتو", "rtl", "ps", "PS", ("پښتو", "pashto", "pashtu", "pukhto")),
    Language("prs", "Dari", "دری", "rtl", "fa_AF", "DARI", ("دری", "dari", "prs")),
    Language("ti", "Tigrinya", "ትግርኛ", "ltr", "ti", "TI", ("ትግርኛ", "tigrinya", "tigrigna")),
    Language("ckb", "Kurdish (Sorani)", "کوردی سۆرانی", "rtl", "ckb", "KU",
             ("کوردی", "سۆرانی", "kurdi", "kurdish", "sorani", "ckb")),
    Language("vi", "Vietnamese", "Tiếng Việt", "ltr", "vi", "VI",
             ("tiếng việt", "tieng viet", "vietnamese")),
    Language("sq", "Albanian", "Shqip", "ltr", "sq", "SQ", ("shqip", "albanian")),
)

BY_CODE: dict[str, Language] = {language.code: language for language in LANGUAGES}
CODES: tuple[str, ...] = tuple(BY_CODE)

OTHER_RTL = frozenset({"he", "ur", "yi", "dv", "sd", "ug"})
"""Right-to-left languages chatsurvey has no words in, for a flow written in one."""

# Letters Persian, Pashto and Kurdish keyboards type differently from Arabic ones, and the
# marks that only decorate Arabic script: folded the same way whether or not accents count.
_SAME_LETTER = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ە": "ه", "ة": "ه",
                              "\u200c": None, "\u200d": None, "ـ": None,
                              **{chr(c): None for c in (*range(0x064B, 0x0660), 0x0670)}})


def text_direction(locale: str) -> str:
    """"rtl" for right-to-left languages, else "ltr" (``fa_IR`` is ``fa``'s)."""
    found = BY_CODE.get(locale) or BY_CODE.get(locale.split("_")[0])
    if found is not None:
        return found.direction
    return "rtl" if locale.split("_")[0] in OTHER_RTL else "ltr"


def babel_locale(code: str) -> str:
    """The Babel locale for a catalogue's plural rules and formats."""
    found = BY_CODE.get(code)
    return found.babel if found is not None else code


def same_letters(text: str) -> str:
    """``text`` as typed, compared without case, Arabic-script marks or letter variants."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().translate(_SAME_LETTER).split())


def fold(text: str) -> str:
    """``text`` without case or accents: "DỪNG", "dừng" and "dung" are one word."""
    decomposed = unicodedata.normalize("NFD", same_letters(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).replace("đ", "d")


class WordTable:
    """Words people type, each meaning something; found however the word is typed.

    A word typed with its accents must be that word ("đúng", right, is not
    "dừng", stop); a word typed with none, as on a phone without the keyboard,
    matches any word that is the same without its accents ("dung" is "dừng").
    Case, Arabic-script vowel marks and letter variants never count.
    """

    def __init__(self, words: dict[str, str] | list[tuple[str, str]]) -> None:
        self._exact: dict[str, list[str]] = {}
        self._plain: dict[str, list[str]] = {}
        for word, meaning in (words.items() if isinstance(words, dict) else words):
            for table, key in ((self._exact, same_letters(word)), (self._plain, fold(word))):
                found = table.setdefault(key, [])
                if meaning not in found:
                    found.append(meaning)

    def all(self, typed: str) -> list[str]:
        """Everything ``typed`` may mean (a word can be in several languages), first first."""
        exact = same_letters(typed)
        found = self._exact.get(exact)
        if found is None and fold(exact) == exact:
            found = self._plain.get(exact)
        return list(found or ())

    def get(self, typed: str) -> str | None:
        """What ``typed`` means first, or None."""
        found = self.all(typed)
        return found[0] if found else None


def _keywords() -> WordTable:
    return WordTable({word: lang.code for lang in LANGUAGES
                      for word in (lang.keyword, *lang.aliases)})


_BY_KEYWORD = _keywords()


def by_keyword(text: str, offered: tuple[str, ...] | list[str] | None = None) -> Language | None:
    """The language a message chooses, if it is one of the keywords (of ``offered`` ones)."""
    code = _BY_KEYWORD.get(text)
    if code is None or (offered is not None and code not in offered):
        return None
    return BY_CODE[code]
