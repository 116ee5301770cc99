"""Branch conditions and signpost tests."""

import pytest

from chatsurvey.engine.conditions import (
    MISSING,
    Condition,
    ConditionError,
    compile_answer_test,
    compile_condition,
)

ANSWERS = {"age": 9, "pets": ["dog", "cat"], "safe": "always", "skipped": None, "flag": True}
CTX = {"age_band": "8-11", "channel": "sms", "locale": "cy", "country": "wales",
       "signpost": "harm"}
PARAMS = {"council": "Testshire"}


def lookup(subject, name):
    if subject == "answer":
        return ANSWERS.get(name, MISSING)
    if subject == "param":
        return PARAMS.get(name, MISSING)
    return CTX.get(subject, MISSING)


@pytest.mark.parametrize("spec, expected", [
    ({"answer": "age", "between": [8, 11]}, True),
    ({"answer": "age", "between": [10, 11]}, False),
    ({"answer": "age", "lt": 9}, False),
    ({"answer": "age", "lte": 9}, True),
    ({"answer": "age", "gt": 8}, True),
    ({"answer": "age", "gte": 10}, False),
    ({"answer": "age", "equals": 9}, True),
    ({"answer": "age", "equals": "9"}, True),
    ({"answer": "age", "in": [1, 9]}, True),
    ({"answer": "age", "not_in": [1, 9]}, False),
    ({"answer": "safe", "equals": "always"}, True),
    ({"answer": "safe", "lt": 3}, False),
    ({"answer": "flag", "gt": 0}, False),
    ({"answer": "pets", "contains": "cat"}, True),
    ({"answer": "pets", "contains": "fish"}, False),
    ({"answer": "safe", "contains": "a"}, False),
    ({"answer": "missing", "equals": 1}, False),
    ({"answer": "missing", "not_in": [1]}, False),
    ({"answer": "skipped", "equals": None}, False),
    ({"answer": "age", "is": "answered"}, True),
    ({"answer": "skipped", "is": "answered"}, False),
    ({"answer": "skipped", "is": "skipped"}, True),
    ({"answer": "missing", "is": "skipped"}, False),
    ({"answer": "missing", "is": "unanswered"}, True),
    ({"answer": "skipped", "is": "unanswered"}, False),
    ({"param": "council", "is": "set"}, True),
    ({"param": "other", "is": "unset"}, True),
    ({"param": "council", "is": "unset"}, False),
    ({"param": "council", "equals": "Testshire"}, True),
    ({"age_band": "8-11"}, True),
    ({"age_band": ["4-7", "11-17"]}, False),
    ({"channel": "sms"}, True),
    ({"locale": ["en", "cy"]}, True),
    ({"country": "england"}, False),
    ({"signpost": "harm"}, True),
    ({"signpost": ["answer", "asked"]}, False),
    ({"all": [{"channel": "sms"}, {"answer": "age", "gte": 8}]}, True),
    ({"all": [{"channel": "sms"}, {"answer": "age", "gte": 10}]}, False),
    ({"any": [{"channel": "web"}, {"answer": "age", "gte": 8}]}, True),
    ({"any": [{"channel": "web"}, {"country": "scotland"}]}, False),
    ({"not": {"channel": "web"}}, True),
])
def test_conditions(spec, expected):
    assert compile_condition(spec)(lookup) is expected


@pytest.mark.parametrize("spec, words", [
    ({"all": [{"channel": "sms"}], "channel": "sms"}, "'all' must stand alone"),
    ({"equals": 3}, "needs one thing to test"),
    ({"answer": "a", "channel": "sms", "equals": 1}, "tests answer and channel at once"),
    ({"channel": "sms", "equals": "sms"}, "channel is tested by value"),
    ({"answer": "a"}, "needs exactly one test"),
    ({"answer": "a", "lt": 1, "gt": 3}, "has more than one test (lt, gt)"),
    ({"answer": "a", "between": [5, 1]}, "put the smaller number first"),
    ({"answer": "a", "is": "set"}, "is: set does not apply to answer"),
    ({"param": "a", "is": "skipped"}, "is: skipped does not apply to param"),
])
def test_condition_errors(spec, words):
    with pytest.raises(ConditionError) as info:
        compile_condition(spec)
    assert words in str(info.value)


def test_answer_tests_look_at_the_question_s_own_answer():
    low = compile_answer_test({"lte": 4})
    assert low(lambda s, n: 3) and not low(lambda s, n: 5)
    assert low.subject is None
    either = compile_answer_test({"any": [{"lte": 1}, {"in": ["never"]}]})
    assert either(lambda s, n: "never") and not either(lambda s, n: "always")
    both = compile_answer_test({"all": [{"gte": 2}, {"lte": 4}]})
    assert both(lambda s, n: 3) and not both(lambda s, n: 5)
    with pytest.raises(ConditionError, match="'any' must stand alone"):
        compile_answer_test({"any": [{"lte": 1}], "gte": 3})


def test_answer_keys_are_collected_through_combinators():
    test = compile_condition({"any": [{"answer": "a", "equals": 1},
                                      {"not": {"answer": "b", "is": "skipped"}},
                                      {"channel": "sms"}]})
    assert test.answer_keys() == {"a", "b"}
    assert Condition("equals", 1, "param", "x").answer_keys() == set()
