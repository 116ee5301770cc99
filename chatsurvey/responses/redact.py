"""Removing what could identify someone from free text, before it is ever stored.

Rules and word lists, no model: names of people (a gazetteer of first names
and surnames, with context such as "my social worker sam" for names that are
also ordinary words), phone numbers (the `phonenumbers` library), e-mail
addresses, UK postcodes and street addresses, links and social media handles,
dates of birth, school names, and any terms a council adds (names of homes,
workers, schools). Nothing redacted is trusted blindly: every comment is still
reviewed by a person before it can appear in a report.
"""

from __future__ import annotations

import functools
import gzip
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources

import phonenumbers

from chatsurvey.engine.safeguarding import needs_review_first

PLACEHOLDERS = {
    "EMAIL": "[email]", "URL": "[link]", "PHONE": "[phone]", "POSTCODE": "[postcode]",
    "DOB": "[date of birth]", "HANDLE": "[username]", "ADDRESS": "[address]",
    "SCHOOL": "[school]", "PERSON": "[name]", "TERM": "[removed]",
}
# When two findings overlap, the type listed first wins.
PRIORITY = ["TERM", "EMAIL", "URL", "DOB", "PHONE", "POSTCODE", "HANDLE", "ADDRESS", "SCHOOL",
            "PERSON"]


@dataclass(frozen=True, slots=True)
class Finding:
    """Something identifying, at ``start:end`` of the original text."""

    type: str
    start: int
    end: int


@dataclass
class Redacted:
    """A redacted text, what was found in the original, and whether it suggests harm."""

    text: str
    findings: list[Finding] = field(default_factory=list)
    safeguarding: bool = False

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for finding in self.findings:
            out[finding.type] = out.get(finding.type, 0) + 1
        return out


@functools.cache
def _words(name: str) -> frozenset[str]:
    text = resources.files("chatsurvey.responses").joinpath("data", name).read_text("utf-8")
    return frozenset(line for line in text.split("\n") if line and not line.startswith("#"))


def first_names() -> frozenset[str]:
    return _words("names_first.txt")


def last_names() -> frozenset[str]:
    return _words("names_last.txt")


def ambiguous_names() -> frozenset[str]:
    """Names that are also everyday words ("will", "grace"): names only in context."""
    return _words("names_common_words.txt")


@functools.cache
def english_words() -> frozenset[str]:
    """Everyday English words (lower case): a capitalised word that is not one is a name."""
    raw = resources.files("chatsurvey.responses").joinpath(
        "data", "english_words.txt.gz").read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    return frozenset(line for line in text.split("\n") if line and not line.startswith("#"))


# -- patterns ---------------------------------------------------------------------

_I = re.IGNORECASE
_DOT = r"\s*(?:\.|\(dot\)|\[dot\]|\s+dot\s+)\s*"
_SPOKEN_DOT = r"\s*(?:\(dot\)|\[dot\]|\s+dot\s+)\s*"
_TAIL = r"(?:com|org|net|uk|co" + _DOT + r"uk|org" + _DOT + r"uk|ac" + _DOT + r"uk)\b"
EMAIL = re.compile(
    r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
    # Written to dodge spam filters: "jo at example dot com", "jo(at)example.org".
    r"|\b[\w.+-]+\s*(?:\(at\)|\[at\])\s*[\w-]+(?:" + _DOT + r"[\w-]+)*" + _DOT + _TAIL +
    r"|\b[\w.+-]+\s+at\s+[\w-]+(?:" + _DOT + r"[\w-]+)*" + _SPOKEN_DOT + _TAIL, _I)
_TLDS = (r"com|co\.uk|org\.uk|org|net|uk|io|me|ly|gov\.uk|ac\.uk|nhs\.uk|tv|app|info|biz|"
         r"co|gg|wales|scot|link")
URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+|\b[\w-]+(?:\.[\w-]+)*\.(?:" + _TLDS +
                 r")\b(?:/[^\s<>\"']*)?|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,6}/[^\s<>\"']*",
                 _I)
POSTCODE = re.compile(
    r"\b(?:[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]|[A-HK-Y]\d[ABEHMNPRV-Y])"
    r"\s?\d[ABD-HJLNP-UW-Z]{2})\b", _I)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
DOB = re.compile(
    r"\b[0-3]?\d[/.\-][01]?\d[/.\-](?:19|20)?\d\d\b"
    rf"|\b{_DAY}(?:\s+of)?\s+{_MONTH}\.?,?\s+(?:19|20)\d\d\b"
    rf"|\b{_MONTH}\.?\s+{_DAY},?\s+(?:19|20)\d\d\b"
    , _I)
# A birthday without a year, after words that say so ("my birthday is the 8th of may").
BIRTHDAY = re.compile(
    r"\b(?:birthday|bday|b-day|born|dob|d\.o\.b\.?|my \d{1,2}(?:st|nd|rd|th))\W+"
    r"(?:(?:is|was|on|in|its|it's)\s+)*"
    rf"((?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}|{_MONTH}\s+(?:the\s+)?{_DAY})\b", _I)
HANDLE = re.compile(r"(?<![\w@.])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?")
_PLATFORMS = (r"snap(?:chat)?|insta(?:gram)?|tik ?tok|twitter|discord|ig|sc|fb|facebook|xbox|"
              r"psn|ps[345]|playstation|roblox|fortnite|minecraft|steam|twitch|gamertag|"
              r"username|user name")
_FILLER = r"(?:is|it's|its|me|on|at|add|my|name|called|username|gamertag|tag|id|account|user)"
_PLATFORM = re.compile(r"\b(?:" + _PLATFORMS + r")\b[\s:=@-]*(?:" + _FILLER +
                       r"\b[\s:=@-]*){0,3}([A-Za-z0-9_.#]{3,30})", _I)
_BEFORE_PLATFORM = re.compile(r"\b([A-Za-z0-9_.]{3,30})\s+on\s+(?:" + _PLATFORMS + r")\b", _I)
_STREET = (r"road|rd|street|st|avenue|ave|lane|ln|close|drive|dr|court|ct|crescent|cres|way|"
           r"place|pl|grove|gardens|gdns|terrace|terr|hill|park|square|sq|walk|row|mews|"
           r"parade|rise|view|green|vale|wynd|brae|boulevard|estate")
_NOT_STREET = r"(?!(?:[a-z]+\s+){0,3}?(?:hours?|hrs?|mins?|minutes?|miles?|days?|weeks?|years?|" \
    r"each|every|times?|people|of)\b)"
_BUILDING = r"(?:house|court|tower|towers|lodge|mansions|block|building|buildings|heights|point)"
ADDRESS = re.compile(
    r"\b(?:(?:flat|apartment|apt|unit)\s*\d+[a-z]?(?:/\d+)?,?\s+)?\d{1,4}[a-z]?,?\s+"
    + _NOT_STREET + r"(?:[a-z][a-z'’-]*\s+){1,3}(?:" + _STREET + r")\b\.?"
    r"|\b(?:flat|apartment|apt)\s*\d+[a-z]?(?:/\d+)?,?\s+(?:[a-z][a-z'’-]*\s+){0,3}" + _BUILDING +
    r",?\s+(?:[a-z][a-z'’-]*\s+){0,3}(?:" + _STREET + r")\b", _I)
_WELSH_STREET = re.compile(
    r"\b\d{1,4}[a-z]?,?\s+(?:heol|cwrt|ffordd|stryd|lon|lôn|maes|rhodfa|plas|pentre|bryn|cae|"
    r"tŷ|ty)\s+(?:y\s+|yr\s+|'r\s+)?[^\W\d_][^\W\d'’-]*(?:\s+[^\W\d_][^\W\d'’-]*(?!\w))?",
    _I)
_FLAT = re.compile(r"\b(?:flat|apartment|apt)\s+\d+[a-z]?\b", _I)
_SCHOOL_WORDS = (r"primary|secondary|junior|juniors|infant|infants|high|grammar|comprehensive|"
                 r"academy|college|school|prep|pru|utc|sixth form")
_GENERIC = frozenset(
    "my the a an at to in into from of new old this that our your his her their go going "
    "went goes primary secondary high big local main special boarding day after before "
    "hate love like at and or but school college academy junior infant sixth form year i "
    "im i'm is was be being been get got start started starting leave left leaving for "
    "with about back same different bad good nice proper rubbish crap shit stupid great "
    "whole every any some no not still also just really near usually virtual saturday "
    "sunday art free last next first moving round pics brothers sisters little drama "
    "dance music sports summer night forest are were we they he she it".split())

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-])*[^\W\d_]|[^\W\d_]")
_RELATION = (
    r"(?:foster\s+|step\s*|birth\s+|real\s+|old\s+|new\s+|ex\s+|best\s+|little\s+|big\s+)?"
    r"(?:mum|mam|mom|mummy|mother|dad|daddy|father|carer|carers|social\s+worker|sw|"
    r"personal\s+adviser|personal\s+advisor|pa|worker|key\s*worker|support\s+worker|"
    r"teacher|mentor|advocate|iro|manager|brother|bro|sister|sis|sibling|nan|nana|nanny|gran|"
    r"granny|grandma|grandad|grandpa|auntie|aunty|aunt|uncle|cousin|friend|mate|bestie|bf|gf|"
    r"boyfriend|girlfriend|partner|son|daughter|baby|kid|neighbour)")
_NAME = r"[^\W\d_](?:[^\W\d_]|['’\-])+"
_CONTEXT = re.compile(
    r"\b(?:my|our|me|her|his|their)\s+" + _RELATION + r"(?:'s|s)?\s+(?:is\s+|was\s+|called\s+|"
    r"named\s+)?(?P<after>" + _NAME + r")"
    r"|\b(?:called|named|name's|name is|names|mr|mrs|miss|ms|dr|sir)\.?\s+"
    r"(?P<named>" + _NAME + r")"
    r"|(?P<before>" + _NAME + r")\s+(?P<verb>is\s+|was\s+)?(?:my|our)\s+" + _RELATION +
    r"\b", _I)
_NOT_NAMES = frozenset(
    "is was has had and but so the a an my me i he she they it its it's his her them "
    "their this that there here who what when where why how always never sometimes "
    "really very not no yes ok okay lol also just still too said says told tells keeps "
    "gets got never ever and or if because cos coz then than will would can could should "
    "might must do does did don't doesnt doesn't didnt didn't cant can't wont won't isnt "
    "isn't wasnt wasn't im i'm ive i've youre you're hes he's shes she's theyre they're "
    "we you your our us all any some one two three more less much many lot lots bit kind "
    "nice good bad great best worst sound mean lovely ace amazing rubbish hi hey hiya x "
    "xx xxx be new home house hurt ring sorry thanks please pls mum mam mom mummy dad "
    "daddy nan nana nanny gran granny grandma grandad auntie aunty uncle bro sis mate "
    "carer sw pa miss sir monday tuesday wednesday thursday friday saturday sunday "
    "january february march april may june july august september october november "
    "december christmas easter god".split())
_TITLES = frozenset({"mr", "mrs", "miss", "ms", "dr", "sir"})
_AFTER_SUBJECT = frozenset(
    "said says is was has had and keeps kept gave gives told tells helped helps came "
    "comes took takes went goes got gets will would always never makes made lets let "
    "does did hits hit calls called rang texted messaged picked picks shouts shouted at "
    "from my can cant wont".split())


def _key(word: str) -> str:
    """A word as the name lists spell it: lower case, no accents, no possessive 's."""
    word = re.sub(r"['’]s$", "", word)
    plain = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")
    return plain.casefold()


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?\n:("


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and not word.isupper()


def _looks_like_name(key: str, word: str) -> bool:
    firsts, lasts, ambiguous = first_names(), last_names(), ambiguous_names()
    if key in firsts or key in lasts or key in ambiguous:
        return True
    parts = [p for p in re.split(r"[-'’]", key) if p]
    return len(parts) > 1 and _capitalised(word) and all(
        p in firsts or p in lasts or p in ambiguous or p == "o" for p in parts)


def _named_in_context(text: str) -> set[int]:
    """Where words stand that the words around them say are names ("my sw Dan")."""
    words = english_words()
    in_context: set[int] = set()
    for match in _CONTEXT.finditer(text):
        for group in ("after", "named", "before"):
            word = match.group(group)
            if not word:
                continue
            key = _key(word)
            if key in _NOT_NAMES and not (_capitalised(word) and _looks_like_name(key, word)):
                continue
            # "my sw Dan", "called Will": a name in context. "Hurt my brother" is not,
            # so a word before "my brother" must be a capitalised name or come with "is".
            if group == "before" and not (_capitalised(word) or
                                          (match.group("verb") and _looks_like_name(key, word))):
                continue
            if _looks_like_name(key, word) or _capitalised(word) or key not in words:
                in_context.add(match.start(group))
    return in_context


def _people(text: str) -> list[Finding]:
    firsts, lasts, words = first_names(), last_names(), english_words()
    found: list[Finding] = []
    tokens = list(_WORD.finditer(text))
    in_context = _named_in_context(text)
    previous_end = -10
    for i, token in enumerate(tokens):
        word = token.group(0)
        key = _key(word)
        end = token.start() + len(re.sub(r"['’]s$", "", word))
        following = _key(tokens[i + 1].group(0)) if i + 1 < len(tokens) else ""
        at_start = _sentence_start(text, token.start())
        adjacent = 0 <= token.start() - previous_end <= 1 and not text[previous_end:
                                                                       token.start()].strip()
        prior = _key(tokens[i - 1].group(0)) if i else ""
        if token.start() in in_context:
            is_name = True
        elif key in _NOT_NAMES and not (_capitalised(word) and (adjacent or (
                not at_start and _looks_like_name(key, word)))):
            is_name = False
        elif key in firsts:
            is_name = len(key) > 2 or _capitalised(word)
        elif adjacent or prior in _TITLES:
            # A surname straight after a first name or a title ("Sarah Jones", "Mr Jones").
            is_name = _capitalised(word) or key in lasts
        elif _capitalised(word) and len(key) > 2 and (_looks_like_name(key, word)
                                                      or key not in words):
            # A capitalised name, or a capitalised word that is not an everyday word, in
            # lower-case writing; at the start of a sentence only when a verb follows.
            is_name = not at_start or following in _AFTER_SUBJECT
        else:
            is_name = False
        if is_name:
            if found and adjacent and previous_end == found[-1].end:
                found[-1] = Finding("PERSON", found[-1].start, end)
            else:
                found.append(Finding("PERSON", token.start(), end))
            previous_end = end
    return found


def _phones(text: str) -> list[Finding]:
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "GB",
                                                 leniency=phonenumbers.Leniency.POSSIBLE):
        if sum(c.isdigit() for c in match.raw_string) >= 7:
            found.append(Finding("PHONE", match.start, match.end))
    return found


def _pattern(kind: str, pattern: re.Pattern, text: str, group: int = 0) -> list[Finding]:
    found = []
    for match in pattern.finditer(text):
        start, end = (match.start(group), match.end(group)) if group else match.span()
        if start < 0:
            continue
        while end > start and text[end - 1] in ".,!?;:)]'\"":
            end -= 1
        found.append(Finding(kind, start, end))
    return found


_SCHOOL_KEYWORD = re.compile(r"\b(?:" + _SCHOOL_WORDS + r")(?:\s+(?:school|academy|college))?\b"
                             r"|\b(?:ysgol|coleg)\b", _I)
_SCHOOL_TYPES = frozenset(
    "special primary secondary high junior juniors infant infants grammar comprehensive "
    "catholic rc church community academy college school sixth form upper lower middle "
    "prep c of e voluntary aided".split())
_SAINT = re.compile(r"\b(?:st\.?|saint)\s+[a-z]+(?:['’]s|s)\b", _I)


def _schools(text: str) -> list[Finding]:
    """A school's name is the words just before "academy", "primary", "college" ...

    Walking back from the keyword stops at the first ordinary little word, so
    "went to hillside academy" gives "hillside academy" but "money for college"
    gives nothing. Before a plain "school", only a capitalised name or a word
    that is not an everyday word counts ("Greenacre School", not "art school").
    Welsh names follow "ysgol" or "coleg"; "St Mary's" on its own is a school.
    """
    found = _pattern("SCHOOL", _SAINT, text)
    words = list(_WORD.finditer(text))
    everyday = english_words()
    for keyword in _SCHOOL_KEYWORD.finditer(text):
        if keyword.group(0).casefold() in ("ysgol", "coleg"):
            after = [w for w in words if w.start() > keyword.start()][:3]
            named = []
            for word in after:
                if word.group(0).casefold() in _GENERIC or (
                        not _capitalised(word.group(0)) and word.group(0).casefold() in everyday):
                    break
                named.append(word)
            if named:
                found.append(Finding("SCHOOL", keyword.start(), named[-1].end()))
            continue
        weak = keyword.group(0).casefold() == "school"
        start, named = None, False
        for word in reversed([w for w in words if w.end() <= keyword.start()][-4:]):
            lowered = word.group(0).casefold().strip("'’")
            if lowered in _SCHOOL_TYPES:
                start = word.start()
                continue
            if lowered in _GENERIC and lowered not in ("st", "saint"):
                break
            if weak and not _capitalised(word.group(0)) and lowered in everyday:
                break
            start, named = word.start(), True
        if start is not None and named:
            found.append(Finding("SCHOOL", start, keyword.end()))
    return found


def _handle_like(word: str) -> bool:
    """A username rather than a word: digits, _ . or #, inner capitals, or not a word at all."""
    if any(c.isdigit() or c in "_.#" for c in word) or re.search(r"[a-z][A-Z]", word):
        return True
    return len(word) >= 4 and word.casefold() not in english_words() and \
        word.casefold() not in _NOT_NAMES


def _handles(text: str) -> list[Finding]:
    found = _pattern("HANDLE", HANDLE, text)
    for pattern in (_PLATFORM, _BEFORE_PLATFORM):
        for match in pattern.finditer(text):
            handle = match.group(1).rstrip(".")
            between = text[match.start():match.start(1)]
            introduced = pattern is _PLATFORM and (
                re.search(r"[:=@]|\b" + _FILLER + r"\b", between.split(None, 1)[-1], _I))
            strong = any(c.isdigit() or c in "_.#" for c in handle) or \
                re.search(r"[a-z][A-Z]", handle)
            # "insta jay_23" is a handle; "minecraft vids" is not: a plain word needs
            # to be introduced ("my snap is lilzxo", "on insta: jayxo").
            if strong or (introduced and _handle_like(handle)):
                found.append(Finding("HANDLE", match.start(1), match.start(1) + len(handle)))
    return found


def _terms(text: str, terms: Iterable[str]) -> list[Finding]:
    found = []
    for term in terms:
        term = term.strip()
        if len(term) >= 2:
            for match in re.finditer(r"(?<!\w)" + re.escape(term) + r"(?!\w)", text, _I):
                found.append(Finding("TERM", match.start(), match.end()))
    return found


def _merged(findings: list[Finding]) -> list[Finding]:
    """Overlapping findings of the same kind become one ("the 2nd of june" + "2nd of june 2012")."""
    out: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.type, f.start)):
        last = out[-1] if out else None
        if last and last.type == finding.type and finding.start < last.end:
            out[-1] = Finding(last.type, last.start, max(last.end, finding.end))
        else:
            out.append(finding)
    return out


def find(text: str, terms: Iterable[str] = ()) -> list[Finding]:
    """Everything identifying in ``text``, without overlaps, in order."""
    candidates = (
        _pattern("EMAIL", EMAIL, text) + _pattern("URL", URL, text) + _phones(text)
        + _pattern("POSTCODE", POSTCODE, text) + _pattern("DOB", DOB, text)
        + _pattern("DOB", BIRTHDAY, text, group=1) + _handles(text)
        + _pattern("ADDRESS", ADDRESS, text) + _pattern("ADDRESS", _WELSH_STREET, text)
        + _pattern("ADDRESS", _FLAT, text)
        + _schools(text) + _people(text) + _terms(text, terms)
    )
    chosen: list[Finding] = []
    for finding in sorted(_merged(candidates),
                          key=lambda f: (PRIORITY.index(f.type), f.start, -f.end)):
        if finding.end > finding.start and all(
                finding.end <= c.start or finding.start >= c.end for c in chosen):
            chosen.append(finding)
    return sorted(chosen, key=lambda f: f.start)


def redact(text: str, terms: Iterable[str] = (),
           detect_harm: Callable[[str], bool] = needs_review_first) -> Redacted:
    """``text`` with every finding replaced by a placeholder such as ``[name]``."""
    findings = find(text, terms)
    pieces, position = [], 0
    for finding in findings:
        pieces.append(text[position:finding.start])
        pieces.append(PLACEHOLDERS[finding.type])
        position = finding.end
    pieces.append(text[position:])
    return Redacted("".join(pieces), findings, detect_harm(text))
