"""Spotting disclosures: help is offered when a young person may be at risk."""

import pytest

from chatsurvey.engine.safeguarding import (
    harm_kinds,
    looks_like_harm,
    model_score,
    needs_review_first,
    phrase_match,
)


@pytest.mark.parametrize("text, kind", [
    ("i want to kill myself", "suicide"),
    ("honestly whats the point of me being alive", "suicide"),
    ("been cutting again", "self-harm"),
    ("my foster dad hits me", "physical abuse"),
    ("he touches me when mum is out", "sexual abuse"),
    ("an older man from the shop buys me vapes", "grooming and exploitation"),
    ("nobody feeds me", "neglect"),
    ("he said if i tell anyone hell hurt my mum", "emotional abuse and threats"),
    ("they are taking me abroad to get married", "forced marriage and fgm"),
    ("i dont feel safe at home", "unsafe or in danger"),
    ("dw i'n ddim yn saff", "cymraeg / gàidhlig"),
    ("chan eil mi sàbhailte", "cymraeg / gàidhlig"),
])
def test_disclosures_are_recognised_by_kind(text, kind):
    assert looks_like_harm(text)
    assert kind in harm_kinds(text)


@pytest.mark.parametrize("text", [
    "this homework is killing me", "i died laughing", "we hit the shops after school",
    "hit me up if you want to know more", "im scared of spiders",
    "i ran away from a wasp", "send it to dylan@example.com",
    "more days out please", "",
])
def test_everyday_words_do_not_bring_up_helplines(text):
    assert not looks_like_harm(text)


@pytest.mark.parametrize("text, kind", [
    ("my foster mum pushed me down the stairs", "physical abuse"),
    ("he put his hands round my neck", "physical abuse"),
    ("they said they will batter me if i come back", "physical abuse"),
    ("i wish i was never born", "suicide"),
    ("everyone would be happier if i wasnt here", "suicide"),
    ("i make myself throw up after every meal", "self-harm"),
    ("he says he will post my pics unless i send more", "sexual abuse"),
    ("my mums boyfriend puts his hand up my top", "sexual abuse"),
    ("they make me take packages to other towns", "grooming and exploitation"),
    ("theres never anything to eat at home", "neglect"),
    ("my family want me to marry my cousin and im 15", "forced marriage and fgm"),
    ("somebody help pls", "unsafe or in danger"),
])
def test_more_ways_of_saying_harm_are_known(text, kind):
    assert kind in harm_kinds(text)


@pytest.mark.parametrize("text", [
    "nobody hurts me here, i feel safe", "my carers never hit me or shout at me",
    "i hit my brother back when he took my ipad", "i dont feel unsafe, just bored",
    "please help me with my maths homework", "im scared about my exams",
    "i dont want to live in the city when im older",
])
def test_a_harm_word_denied_or_done_by_the_writer_is_no_phrase(text):
    assert not phrase_match(text)


@pytest.mark.parametrize("text", ["", "yes", "purple", "more football", "school is boring"])
def test_ordinary_answers_are_not_flagged_for_review(text):
    assert not needs_review_first(text)
    assert harm_kinds(text) == []


def test_the_review_flag_catches_more_than_the_conversation_does():
    text = "i think about things i shouldnt and nobody knows"
    assert model_score(text) > float("-inf")
    assert needs_review_first("i want to kill myself") and looks_like_harm("i want to kill myself")


def test_case_and_curly_apostrophes_do_not_matter():
    assert looks_like_harm("I DON’T WANT TO BE ALIVE")


def test_words_no_phrase_catches_can_still_put_a_comment_first_for_review():
    # No phrase family matches these; the model's score does, so a person reads them first.
    for text in ("he scares me when he drinks", "i get hurt at home"):
        assert not phrase_match(text)
        assert harm_kinds(text) == ["worrying words"]


def test_the_one_pass_shortcut_never_misses_what_the_full_check_finds():
    """RE2 first (every phrase at once), then Python's engine: the answer must not change."""
    import json
    import random
    import re

    from chatsurvey.engine import safeguarding
    from tests.helpers import PROJECT

    texts = [json.loads(line)["text"]
             for name in ("corpus.jsonl", "holdout.jsonl")
             for line in (PROJECT / "tests" / "redaction" / name).read_text("utf-8").splitlines()]
    rng = random.Random(3)
    words = " ".join(texts).split()
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 10))) for _ in range(3000)]
    texts += ["he hits me up", "i dont feel safe to drive", "im scared of spiders", "kms"]
    assert sum(safeguarding.phrase_match(t) for t in texts) > 100  # the corpus has disclosures

    def full_check(text):
        folded = safeguarding._fold(text)
        return any(re.search(p, folded) for p in safeguarding._COMPILED.values())

    assert [safeguarding.phrase_match(t) for t in texts] == [full_check(t) for t in texts]


@pytest.mark.parametrize("text", [
    "i want to kill myself", "more time with my friends", "he hits me", "Ŵyf i’n drist",
    "my foster dad hits me and i dont feel safe", "hmm", "i think about things i shouldnt",
])
def test_the_score_is_the_trained_weights_of_the_features_training_saw(text):
    """Scoring looks fragments up its own way; it must add up what training's features give."""
    from chatsurvey.engine import safeguarding

    model = safeguarding._model()
    values = [model["weights"].get(f, 0.0) for f in safeguarding.features(text)]
    expected = (float("-inf") if sum(v for v in values if v > 0) < model["min_evidence"]
                else model["bias"] + sum(values))
    assert model_score(text) == pytest.approx(expected)
