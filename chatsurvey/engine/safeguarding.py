"""Spotting messages that suggest a young person may be at risk.

The survey is anonymous, so nobody can follow up on what one young person
says: the only help we can give is to offer it in the conversation, at once,
and to put the comment first in the review queue. So the check leans towards
offering help too often rather than too rarely. It looks for families of
phrases (below, by kind of harm) in English, Welsh and Scottish Gaelic, and is
tolerant of text-speak and missing apostrophes. Ordinary figures of speech
("this homework is killing me", "we hit the shops") are not matched: harm
phrases need a person on the receiving end, or words that only mean harm. A harm
word straight after a denial ("nobody hurts me", "they never hit me") or after
"i" ("i hit my brother back") is not a disclosure.

Behind the phrases sits a small logistic-regression model (words, word pairs
and letter fragments, trained by scripts/train_safeguarding.py) that catches
disclosures worded in ways the phrases do not know. Recall and precision are
measured on labelled corpora (tests/redaction) and reported in docs/benchmarks.md.

The check runs on every free-text answer inside a conversation turn, so it
must cost microseconds: plain-ASCII text (nearly all of it) is tried against
every phrase at once by an RE2 set, which reads the text in one pass and says
which phrases match. A phrase with "not followed by" or "not straight after"
rules (which RE2 lacks) is then confirmed by Python's own engine; RE2 without
those rules matches a superset, so the shortcut never misses what the full
check would find, and never finds what it would not.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from importlib import resources
from typing import Any

import re2

_ME = (r"(?:me|my\s?self|him|her|us|them|my (?:mum|mam|mom|nan|brother|sister|little \w+|baby \w+|"
       r"sis|bro)|our (?:mum|mam|mom|little \w+|baby \w+))")
_NOT = r"(?:don'?t|dont|do not|didn'?t|didnt|never|not|cant|can'?t|cannot|wont|won'?t)"
_THEY = (r"(?:he|she|they|hes|shes|theyre|he'?s|she'?s|they'?re|he'?d|she'?d|they'?d|i'?ll|ill|"
         r"he'?ll|she'?ll|they'?ll|theyll)")
_DENIED = "".join(f"(?<!{word} )" for word in (
    "never", "nobody", "no one", "noone", "no1", "dont", "don't", "doesnt", "doesn't", "didnt",
    "didn't", "wont", "won't", "not", "i"))
"""Not straight after a denial ("nobody hurts me", "they never hit me") or "i" ("i hit my
brother back"): put in front of a harm word that needs someone on the receiving end."""

PATTERNS: dict[str, list[str]] = {
    "suicide": [
        r"kill(?:ing)?\s?(?:my\s?self|me now)", r"\bkms\b", r"\bun-?alive", r"suicid",
        r"\bend(?:ing)? (?:it(?: all)?|my life|things|everything)\b", r"take my (?:own )?life",
        r"(?:want|wanna|wish i could) (?:to )?die\b",
        r"wish i (?:was|were|could be) dead", r"better off (?:dead|without me)",
        rf"{_NOT} want to (?:be alive|live\b(?! (?:in|with|at|there|here|near|on|by)\b)|be here"
        rf"|exist|wake up)",
        r"(?:never|not) wak(?:e|ing) up", r"(?:sleep|slept) and never",
        r"(?:no|whats the|what'?s the|what is the|see the) point (?:in |of )?(?:living|me|being "
        r"alive|anymore|any more|going on)",
        rf"{_NOT} (?:do this|go on|cope|take (?:it|this))(?:\s?any ?more)?\s*(?:$|[.!?,]|x\b)",
        rf"{_NOT} (?:cope|take it|go on) any ?more",
        r"goodbye (?:letter|note|everyone|every1|all|world)", r"(?:rope|noose)\b",
        r"(?:pills|tablets) (?:saved|stock)", r"saved up (?:pills|tablets)", r"over ?dose",
        r"took (?:loads|lots|a load|a lot|all) of (?:tablets|pills|paracetamol)",
        r"disappear (?:for ?ever|forever)", r"(?:no ?one|nobody|no1) would (?:care|notice|miss)",
        r"if i was (?:dead|gone)", r"thinking about (?:dying|death|ending|not being here)",
        r"think about (?:dying|death|ending|not waking|jumping)", r"jump(?:ing)? (?:off|in front)",
        r"(?:edge|top) of (?:the )?(?:roof|bridge|car park)", r"i'?ll do it tonight",
        r"\bim done\b.{0,20}goodbye", r"want (?:it all|everything) to stop",
        r"(?:a|such a) burden", rf"{_NOT} trust my ?self",
        r"(?:kill|hurt) (?:him|her|them)sel(?:f|ves)", r"want(?:s)? to die",
        r"(?:want|wanna|wish|rather|better off) (?:to )?(?:be )?dead\b(?! (?:good|nice|funny|ha"
        r"ppy))",
        r"wish(?:es|ed)? (?:i|she|he) (?:was|were|had been|could be) (?:dead|never born|not born)",
        r"wish i (?:was|were|had) never",
        r"tired of (?:being alive|living|life|everything|it all)",
        r"life (?:isnt|is not|ain'?t) worth",
        rf"{_NOT} (?:want|wanna) (?:to )?be (?:here|alive|around) any ?more",
        rf"{_NOT} wanna (?:be alive|live|exist|wake up)",
        r"(?:better|happier) (?:off )?(?:without me|if i (?:wasnt|was not|weren'?t|was gone))",
        r"if i (?:wasnt|was not|weren'?t) (?:here|around|alive)",
        r"(?:ways|how) to (?:die|kill my|end it)", r"\bhang(?:ing)? my\s?self", r"waste of space",
        r"(?:want|wish|need) (?:it all|everything|it|all this) to (?:end|stop)",
        r"want(?:ed)? to disappear", rf"{_NOT} wake up\b",
        r"(?:took|take|taking|swallow(?:ed)?) (?:all|loads|lots|a load|a lot|a bunch|a handful)"
        r"(?: of)? (?:\w+ )?(?:\w+ )?(?:tablets|pills|paracetamol)",
        r"(?:stood|standing|sat|sitting) on (?:the )?(?:edge|bridge|roof|ledge)",
        r"done with (?:everything|life|it all|living)",
    ],
    "self-harm": [
        r"self[- ]?harm", r"\bsh\b (?:again|last night|yesterday|today)",
        r"\bcut(?:ting|s)? (?:my\s?self|my (?:arms?|legs?|wrists?|thighs?)|again)",
        r"been cutting", r"\bburn(?:ing|t|ed)? my\s?self", r"hurt(?:ing)? my\s?self",
        r"(?:i|been|keep) scratch(?:ed|ing)? (?:my )?(?:arms?|legs?|skin)", r"bang(?:ing)? my head",
        r"pick(?:ing)? at my skin", r"til(?:l)? (?:it|they) ble(?:e)?d", r"make my\s?self sick",
        r"starv(?:e|ing) my\s?self", r"(?:havent|haven'?t|not) eaten .{0,25}on purpose",
        r"burn(?:ing|s|t|ed)? (?:my|her|his) (?:arms?|legs?|skin|wrists?|hands?)",
        r"punch(?:ing|ed)? (?:the )?walls?", r"(?:til|till|until) (?:it|they|my \w+) ble(?:e)?d",
        r"make my\s?self (?:throw up|puke|vomit)",
        r"throw(?:ing)? up after (?:i eat|eating|every|meals)",
        r"stopped eating",
        r"(?:havent|haven'?t|not) eaten (?:anything )?(?:for|in) (?:days|\d+ days|a week)",
        r"(?:dont|don'?t) deserve (?:food|to eat|to live|to be alive)",
        r"cuts (?:on|up) (?:her|his|my|their) (?:arms?|legs?|wrists?)",
        r"drink(?:ing)? (?:till|until) i (?:pass|black) out",
    ],
    "physical abuse": [
        rf"{_DENIED}\b(?:hits?|hitting|beats?|beating|punch(?:es|ed|ing)?|kick(?:s|ed|ing)?|"
        rf"slap(?:s|ped|ping)?|smack(?:s|ed|ing)?|strangl\w*|chok(?:es|ed|ing)|hurts?|hurting|"
        rf"shov(?:es|ed)|throws? things at|pulls? my hair|burnt|burned|grabs?|push(?:es|ed)|"
        rf"whack(?:s|ed|ing)?|batter(?:s|ed|ing)?|thump(?:s|ed|ing)?|throws?|threw|drag(?:s|ged)|"
        rf"attack(?:s|ed)|threaten(?:s|ed|ing)?|pinn?(?:s|ed) down) {_ME}\b(?! up\b)",
        r"(?:black|bruised) eye",
        r"marks on (?:my|his|her|their) (?:back|arms?|legs?|body|neck|face)",
        r"(?:get|gets|got|with) (?:the|a|his|her) belt",
        r"(?:hands?|arm) (?:round|around) my (?:neck|throat)",
        r"twist(?:s|ed)? my arm", r"round the head",
        r"beats? (?:me|him|her|us|my \w+|our \w+) up",
        r"(?:sit|sat|sits|kneel|knelt) on (?:me|my (?:chest|back|legs|arms|neck))",
        r"(?:screams?|shouts?|yells?|spits?) in my face", r"(?:pushed|shoved|held) my head",
        r"(?:gonna|going to|will|'?ll|said they(?:'?ll| would| will)) "
        r"(?:stab|batter|jump|shoot|beat up) (?:me|us|my \w+)",
        r"threaten(?:s|ed|ing)? to (?:kill|hurt|stab|share|post|send|beat|batter)",
        r"wait(?:s|ing)? (?:for me )?outside my (?:house|school|flat|home)",
        r"beat (?:me|him|her|us) up", r"(?:got|get|been) (?:beat(?:en)? up|battered|jumped)\b",
        r"(?:got|get|been) (?:hit|punched|kicked|beaten) (?:by (?:my|his|her|their) \w+|if|when|"
        r"again|for)", r"leaves? (?:marks|bruises)", r"\bbruises\b",
        r"(?:with|got|has|had|have|left) (?:a )?bruise",
        r"with (?:a|the|his|her) belt", r"restrain(?:s|ed)? (?:us|me)", r"hurt my (?:wrist|arm)",
        r"burnt my (?:arm|hand|leg)", r"hurts? her (?:bum|privates?|private parts)",
        r"smashing (?:the house|things) up",
    ],
    "sexual abuse": [
        r"\brap(?:e|ed|ing)\b", r"sexual", r"(?:forced|made|make|makes) (?:me )?(?:to )?have sex",
        r"touch(?:es|ed|ing)? (?:me|my)\b", r"(?:comes?|came|coming) (?:in|into) (?:my|the) "
        r"(?:room|bed|bedroom|bathroom|shower)", r"in my bed at night", r"our (?:little )?secret",
        r"does (?:stuff|things) to me", r"makes? me (?:do (?:things|stuff)|watch)",
        r"(?:send|sending) (?:him |them )?(?:pics|nudes|photos|pictures)",
        r"(?:spread|share[ds]?) my (?:pics|photos|nudes)", r"takes? (?:pics|photos) of (?:us|me)",
        r"clothes were off", r"woke up .{0,30}(?:didn'?t|didnt) know what happened",
        r"(?:boyfriend|girlfriend|bf|gf) is (?:1[8-9]|[2-9]\d)",
        r"touch(?:es|ed|ing)? (?:my|his|her|their) (?:private|privates|willy|fanny|bum|boobs|chest|"
        r"body|legs?)", r"\bprivate parts\b", r"hand (?:up|down|in|inside) my (?:top|skirt|shorts|"
        r"trousers|pants|knickers)", r"\bnaked\b", r"dick pics?", r"\bnudes\b",
        r"sex(?:ual)? stuff",
        r"forced (?:himself|herself|me)", r"(?:into|in) (?:my )?bed with me",
        r"(?:make|made|makes|have to|has to|had to|wants? me to) sleep with",
        r"tried to (?:kiss|touch) me", r"(?:something|stuff|drugs) in my drink", r"\bspiked\b",
        r"(?:pics|pictures|photos|videos?) of (?:me|my body)",
        r"(?:ask|asks|asking|asked) (?:me )?for "
        r"(?:pics|pictures|photos|nudes)",
        r"(?:unless i|if i (?:dont|don'?t)) (?:send|pay|do what)",
        r"\babus(?:e|ed|ing|er|ive)\b", r"\bmolest", r"\bgroom(?:ed|ing)\b", r"\bassault",
        r"what (?:he|she|they|my \w+|\w+) (?:did|does|done|has done|keeps doing) (?:to me|when)",
        r"is 1[0-5] and (?:she|he) has "
        r"a (?:1[8-9]|[2-9]\d)", r"pregnant and im 1[0-5]", r"im 1[0-5] and pregnant",
    ],
    "grooming and exploitation": [
        r"older (?:man|men|guy|lad|lads|bloke|boy|boys)\b.{0,30}\b(?:who|gives|buys|asks|wants|"
        r"messages|picks|offer|keeps|called|from)", r"(?:a|the) man (?:from|at|who|i met)",
        r"(?:met|meet) (?:him|her|them)? ?online", r"wants? to meet (?:me|up)",
        r"(?<!i )(?:not|dont|don'?t) tell (?:anyone|any1|anybody|him|her|them|the police)\b",
        r"gives? (?:me|us|the girls|girls) "
        r"(?:money|weed|drugs|vapes|drink|alcohol|cigs|vodka)", r"buys? me (?:vapes|drink|alcohol)",
        r"(?:i |you )?owe (?:him|them|money)", r"pay back the debt", r"carry (?:stuff|bags|drugs|"
        r"packages|things)", r"take bags to", r"county lines", r"hold (?:his|their) knife",
        r"traffick", r"use (?:it|my flat|my place) to sell", r"wants? stuff in return",
        r"offering (?:girls|boys|us|me|kids)\b.{0,20}money", r"parties with (?:men|older|lads)",
        r"go(?:es|ing)? missing", r"keeps? messaging me", r"work for them",
        r"in (?:his|their) car", r"following me",
        r"(?:make|makes|made|making) (?:me|us) (?:take|carry|keep|sell|hold|deliver|move|run|hide)",
        r"(?:packages|parcels|bags) to (?:other|another)", r"(?:keep|hide|hold|sell|carry|deliver)"
        r"(?:ing)? (?:their |his |the )?drugs", r"sell (?:from|out of) (?:it|my|the)",
        r"(?:pay|work) (?:it|him|them|the debt) (?:back|off)", r"\bowe (?:a \w+|some \w+|people)",
        r"pay(?:s)? me to", r"(?:stuff|things) for money", r"made to do (?:things|stuff)",
        r"(?:guy|man|bloke|lad|boy|woman|lady) (?:\w+ ){0,4}(?:whos|who is|hes|he'?s|shes|she'?s) "
        r"(?:1[8-9]|[2-5]\d)\b",
        r"(?:his|her|their) (?:flat|house|place) (?:on my own|alone|by my ?self)",
        r"wants? me to (?:stay|come|go|meet|sleep)", r"gives? me (?:presents|gifts)",
        r"(?:says|said|told me|tells me|made me promise|asked me) (?:not to|to not|never to|i cant|"
        r"i can'?t|i mustn'?t) (?:tell|say)", r"our (?:little )?thing\b",
        r"(?:to|and) not tell (?:my|anyone|any1)",
        r"(?:telling|tells|told|asking|asks|keeps asking) me to meet",
    ],
    "neglect": [
        r"(?:no|never(?: any)?|not allowed(?: any)?) food", r"(?:nobody|no one|no1) feeds me",
        r"(?:havent|haven'?t|not) eaten (?:properly )?in (?:days|\d+ days)",
        r"fridge is (?:always )?empty", r"take my food", r"sleep(?:s|ing)? (?:in|on) the "
        r"(?:shed|garage|floor|street|streets|park)", r"slept (?:in|on) the (?:park|street|floor)",
        r"locked (?:out|in)\b", r"(?:locks?|shuts?) me (?:in|out)\b",
        r"(?:leaves?|left) me (?:on my own|alone|by myself)",
        r"heating (?:has been |is )?off", r"no bed\b",
        r"\bno (?:tea|dinner|breakfast|electric|electricity|gas|hot water|money for food)\b",
        r"(?:nothing|never anything) to eat", rf"{_NOT} (?:get|getting) (?:fed|food)",
        r"(?:hungry|starving) all the time|always hungry",
        r"(?:nobody|no one|no1) (?:makes|cooks|washes)",
        r"(?:left|leaves?) (?:me |us |them |my \w+ |the \w+ )?(?:on (?:my|our|their|his|her) ow"
        r"n|alone)",
        r"(?:doesnt|doesn'?t|dont|don'?t|never) come home for",
        r"locks? (?:the )?(?:fridge|food|cupboards)",
        r"needles (?:all )?(?:over|everywhere|around|lying)",
        r"(?:sleep|sleeping|slept|sleeps) in (?:the|a|his|her|my) (?:car|tent|shed|"
        r"garage|stairwell|park|bus station)", r"(?:living|live|sleeping|sleep) on the streets?",
        r"nowhere (?:else )?to (?:sleep|stay)", r"nowhere (?:else )?to go (?:tonight|now|at night)",
        r"staying at (?:random|different|strangers)",
        r"(?:kicked|chucked|thrown|threw) (?:me |us )?out",
    ],
    "emotional abuse and threats": [
        r"(?:says|said|tells me|calls me) (?:im|i'?m|i am) (?:worthless|useless|nothing)",
        r"(?:no ?one|nobody) will (?:ever )?(?:want|love) me", r"calls? me (?:a )?(?:slag|names)",
        rf"{_THEY} (?:will |would |gonna |going to )?(?:kill|hurt|stab|find|get) (?:me|my \w+)"
        r".{0,40}(?:if|tell|told|snitch|after)",
        r"(?:if|when) i (?:tell|told|say|snitch)", r"know where i live",
        r"(?:kill|hurt|stab) me (?:if|after)", r"come and find me",
        r"checks? my phone", r"takes? my money", r"wont let me see", r"won'?t let me (?:leave|see)",
        r"(?:sending|send) me back .{0,20}(?:if|and)",
        r"goes through my phone", r"(?:takes?|took|controls?) (?:all )?my money",
        r"wish(?:es|ed)? (?:i|id) (?:was|were) dead",
    ],
    "forced marriage and fgm": [
        r"\bfgm\b", r"to be cut\b", r"(?:take|taking|send|sending) me (?:abroad|back home|away)"
        r".{0,40}(?:marr|cut)", r"forced (?:to )?marr", r"get married.{0,20}im 1[0-7]",
        r"(?:abroad|away) to (?:get )?marr",
        r"(?:want|wants|make|makes|making|force|forcing) me to marry",
        r"girls (?:\w+ ){0,4}(?:get|are|be) cut\b",
    ],
    "unsafe or in danger": [
        rf"{_NOT} (?:feel )?(?:safe|sfe)\b(?!\s+to\s+(?:drive|eat|use|swim|ride))",
        r"(?<!dont feel )(?<!don't feel )(?<!never feel )(?<!not )\bunsafe\b",
        r"(?:scared|afraid|frightened|terrified) (?:of|for) (?:him|her|them|my|"
        r"going|what|he|she|they|the (?:man|men|lads|people))\b", r"(?:scared|afraid|frightened|"
        r"terrified) to go (?:home|back)",
        r"\bim (?:scared|frightened|terrified)(?!\s+(?:of|about)\b)",
        r"\bim hiding", r"ran away (?:from (?:home|the home|my \w+|care|foster)|again|last night|"
        r"yesterday|cos|because)", r"running away", r"sleeping rough", r"sofa surfing",
        r"kicked out",
        r"\bbullied\b.{0,40}(?:every day|hit|push|kick|threat|stab|jump|toilet|kill)",
        r"(?:pls|please|plz|someone|somebody|some1|any1|anyone) help(?: me)?\b(?! (?:me )?(?:wi"
        r"th|to|"
        r"get|find|fill|out|sort|learn|understand|choose|pick|apply)\b)", r"^\W*help me\W*$",
        r"need help (?:right )?now", r"(?:dont|don'?t) know who (?:else )?to tell",
        r"(?:cant|can'?t|dont want to|don'?t want to|scared to) go (?:home|back)(?: there)?\W+("
        r"?:because|cos|coz|"
        r"cus|he|she|they|hell|shell)",
        r"(?:scared|afraid|frightened|terrified) (?:at night|when (?:he|"
        r"she|they|my \w+) (?:drinks|gets|comes))",
        r"scared of (?:one of |some of )?the (?:staff|men|lads|"
        r"boys|carers)",
        r"need (?:someone|somebody|some1) to talk to",
        r"\bim not ok", r"i'?m not ok(?:ay)?\b", r"drinking every (?:night|day)",
        r"(?:can'?t|cant) stop (?:crying|shaking)", r"feel numb",
    ],
    "cymraeg / gàidhlig": [
        r"lladd fy hun", r"hunanladd", r"niweidio fy hun", r"cam-?dri?n",
        r"ddim yn (?:saff|ddiogel)",
        r"(?:taro|curo|brifo) fi", r"f[eè]in-?mhurt", r"droch-?dh[iì]ol",
        r"chan eil mi s[aà]bhailte", r"gam bhualadh", r"gam ghort[aà]chadh",
    ],
}

_COMPILED = {kind: re.compile("|".join(f"(?:{p})" for p in patterns))
             for kind, patterns in PATTERNS.items()}

# "Not followed by" and "not straight after" groups, up to two levels of brackets inside.
_LOOKAROUND = re.compile(r"\(\?<?!(?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)")
_PHRASES = [p for patterns in PATTERNS.values() for p in patterns]
_CONFIRM = {i: re.compile(p) for i, p in enumerate(_PHRASES) if _LOOKAROUND.search(p)}
"""The phrases RE2 can only match without their lookaround rules: Python's engine confirms."""


def _phrase_set() -> re2.Set:
    """Every phrase in one RE2 set, without its lookaround rules (RE2 has none)."""
    options = re2.Options()
    options.max_mem = 64 << 20  # room for the one-pass automaton of every phrase
    phrases = re2.Set.SearchSet(options)
    for phrase in _PHRASES:
        phrases.Add(_LOOKAROUND.sub("", phrase))
    phrases.Compile()
    return phrases


_ANY_PHRASE_ASCII = _phrase_set()
_WORD = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()  # NFKC and casefold change nothing else in ASCII
    return unicodedata.normalize("NFKC", text).casefold().replace("’", "'")


def features(text: str) -> set[str]:
    """What the model looks at: words, word pairs and 4-letter fragments (for misspellings)."""
    words, grams = _words_and_fragments(_fold(text))
    return words | {"#" + g for g in grams}


def _words_and_fragments(folded: str) -> tuple[set[str], set[str]]:
    """Words and word pairs, and fragments (without their "#"), of text already folded."""
    words = _WORD.findall(folded.replace("'", ""))  # _fold has made every apostrophe plain
    found = set(words)
    found.update(map(" ".join, zip(words, words[1:], strict=False)))
    joined = f" {' '.join(words)} "
    return found, {joined[i:i + 4] for i in range(len(joined) - 3)}


@functools.cache
def _model() -> dict[str, Any]:
    model = json.loads(resources.files("chatsurvey.engine").joinpath("safeguarding_model.json")
                       .read_text("utf-8"))
    weights = model["weights"]
    # Fragments are looked up without their "#" mark, so no string is built per fragment.
    model["word_weights"] = {f: w for f, w in weights.items() if not f.startswith("#")}
    model["fragment_weights"] = {f[1:]: w for f, w in weights.items() if f.startswith("#")}
    return model


def _weights_of(folded: str) -> list[float]:
    """The model's weights of the features of folded text, words first (zeros left out)."""
    model = _model()
    words, grams = _words_and_fragments(folded)
    # dict.get without a default gives None for an unknown feature; filter drops it.
    return [*filter(None, map(model["word_weights"].get, words)),
            *filter(None, map(model["fragment_weights"].get, grams))]


def _reaches(values: list[float], threshold: float) -> bool:
    """``_score(values) >= threshold`` for a finite threshold, adding up the evidence only
    when the score itself gets there (most answers fall short of it)."""
    model = _model()
    return (model["bias"] + sum(values) >= threshold
            and sum(v for v in values if v > 0) >= model["min_evidence"])


def model_score(text: str) -> float:
    """The model's log-odds that the text is a disclosure (-inf if nothing points to one)."""
    model = _model()
    values = _weights_of(_fold(text))
    if sum(v for v in values if v > 0) < model["min_evidence"]:
        return float("-inf")
    return model["bias"] + sum(values)


def _phrase_in(folded: str) -> bool:
    # RE2 is given the ASCII text as bytes: the same match, without the wrapper's work to map
    # byte offsets back to characters. It says which phrases match; only those with
    # lookaround rules need Python's engine to confirm them.
    if folded.isascii():
        found = _ANY_PHRASE_ASCII.Match(folded.encode()) or ()
        return any(i not in _CONFIRM or _CONFIRM[i].search(folded) for i in found)
    return any(pattern.search(folded) for pattern in _COMPILED.values())


def phrase_match(text: str) -> bool:
    """True if one of the phrase families matches."""
    return _phrase_in(_fold(text))


def harm_kinds(text: str) -> list[str]:
    """The kinds of harm the text seems to disclose (empty if none)."""
    folded = _fold(text)
    kinds = [kind for kind, pattern in _COMPILED.items() if pattern.search(folded)]
    if not kinds and _reaches(_weights_of(folded), _model()["review"]):
        kinds.append("worrying words")
    return kinds


def looks_like_harm(text: str, locale: str = "en") -> bool:
    """True if the conversation should offer help now (phrases, or the model when sure)."""
    folded = _fold(text)
    return _phrase_in(folded) or _reaches(_weights_of(folded), _model()["conversation"])


def needs_review_first(text: str) -> bool:
    """True if a comment should go first in the review queue (phrases, or the model at all)."""
    folded = _fold(text)
    return _phrase_in(folded) or _reaches(_weights_of(folded), _model()["review"])
