"""Scoring is exact: sums match the subscales; invalid answers are refused, nothing saved."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from staffwellbeing.models import CheckIn
from staffwellbeing.scoring import (
    ANSWER_MISSING,
    ANSWER_NOT_WHOLE_NUMBER,
    ANSWER_OUT_OF_RANGE,
    ANSWER_UNKNOWN_ITEM,
    CFS_STRUCTURE,
    InvalidAnswers,
    answer_errors,
    score_differences,
    structure_of,
    subscale_scores,
)
from staffwellbeing.services.checkins import checkin_record
from tests.staffwellbeing.factories import answers, cfs_v1

LETTERS = "abcdefghijklm"
valid_answer_sets = st.fixed_dictionaries(
    {letter: st.integers(min_value=1, max_value=10) for letter in LETTERS}
)


@given(valid_answer_sets)
def test_subscale_sums_equal_the_definitions(given_answers):
    scores = subscale_scores(CFS_STRUCTURE, given_answers)

    assert scores == {
        "secondary_trauma": sum(given_answers[letter] for letter in "cehjl"),
        "job_burnout": sum(given_answers[letter] for letter in "abdfgikm"),
        "chronic_fatigue": sum(given_answers.values()),
    }
    assert 5 <= scores["secondary_trauma"] <= 50
    assert 8 <= scores["job_burnout"] <= 80
    assert 13 <= scores["chronic_fatigue"] <= 130


def test_the_built_in_structure_matches_the_guide():
    assert CFS_STRUCTURE.letters == tuple(LETTERS)
    assert dict(CFS_STRUCTURE.subscales) == {
        "secondary_trauma": tuple("cehjl"),
        "job_burnout": tuple("abdfgikm"),
        "chronic_fatigue": tuple(LETTERS),
    }
    assert CFS_STRUCTURE.subscale_range("secondary_trauma") == (5, 50)
    assert CFS_STRUCTURE.subscale_range("job_burnout") == (8, 80)
    assert CFS_STRUCTURE.subscale_range("chronic_fatigue") == (13, 130)


@pytest.mark.django_db
def test_the_migrated_version_has_the_built_in_structure_and_no_wording():
    version = cfs_v1()

    assert structure_of(version) == CFS_STRUCTURE
    assert version.wording_source == "structure_only"
    assert list(version.items.values_list("wording", flat=True)) == [""] * 13
    assert "Adams" in version.instrument.citation
    assert "1 to 10" in version.instructions


bad_values = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=11),
    st.floats(allow_nan=True),
    st.text(max_size=3),
    st.booleans(),
    st.none(),
)


@given(valid_answer_sets, st.sampled_from(LETTERS), bad_values)
def test_any_invalid_value_is_refused_with_a_constant_message(given_answers, letter, value):
    given_answers = {**given_answers, letter: value}

    with pytest.raises(InvalidAnswers) as refused:
        subscale_scores(CFS_STRUCTURE, given_answers)

    assert set(refused.value.errors) == {letter}
    assert refused.value.errors[letter] in {
        str(ANSWER_MISSING),
        str(ANSWER_NOT_WHOLE_NUMBER),
        str(ANSWER_OUT_OF_RANGE),
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, ANSWER_OUT_OF_RANGE),
        (11, ANSWER_OUT_OF_RANGE),
        (5.0, ANSWER_NOT_WHOLE_NUMBER),
        (5.5, ANSWER_NOT_WHOLE_NUMBER),
        ("5", ANSWER_NOT_WHOLE_NUMBER),
        (True, ANSWER_NOT_WHOLE_NUMBER),
        (None, ANSWER_MISSING),
        ("", ANSWER_MISSING),
    ],
)
def test_each_kind_of_invalid_answer_gets_its_message(value, message):
    assert answer_errors(CFS_STRUCTURE, answers(5, c=value)) == {"c": str(message)}


def test_missing_and_unknown_items_are_refused():
    given_answers = answers(5)
    del given_answers["m"]
    given_answers["z"] = 3

    assert answer_errors(CFS_STRUCTURE, given_answers) == {
        "m": str(ANSWER_MISSING),
        "z": str(ANSWER_UNKNOWN_ITEM),
    }


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(st.sampled_from(LETTERS), bad_values)
def test_invalid_answers_save_nothing(letter, value):
    from tests.factories import UserFactory

    person = UserFactory(username="scorer", roles=["clinician"])
    before = CheckIn.objects.count()

    with pytest.raises(InvalidAnswers):
        checkin_record(actor=person, version=cfs_v1(), answers=answers(4, **{letter: value}))

    assert CheckIn.objects.count() == before


def test_differences_are_plain_numbers():
    assert score_differences({"a": 10, "b": 3}, {"a": 7, "b": 5}) == {"a": 3, "b": -2}
    assert score_differences({"a": 10}, None) == {"a": None}
