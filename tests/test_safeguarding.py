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
