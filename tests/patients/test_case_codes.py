from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patients import case_codes

bodies = st.text(alphabet=case_codes.ALPHABET, min_size=8, max_size=8)


def test_generated_codes_are_valid_and_formatted():
    for _ in range(200):
        code = case_codes.generate()
        assert len(code) == 11
        assert code[4] == "-" and code[9] == "-"
        assert case_codes.is_valid(code)


def test_alphabet_has_no_look_alikes():
    for ch in "01ILOU":
        assert ch not in case_codes.ALPHABET


@given(bodies, st.integers(min_value=0, max_value=7), st.sampled_from(case_codes.ALPHABET))
def test_any_single_substitution_is_caught(body, position, replacement):
    code = f"{body[:4]}-{body[4:]}-{case_codes.check_symbol(body)}"
    if body[position] == replacement:
        return
    mutated_body = body[:position] + replacement + body[position + 1 :]
    mutated = f"{mutated_body[:4]}-{mutated_body[4:]}-{code[-1]}"
    assert not case_codes.is_valid(mutated)


@given(bodies, st.integers(min_value=0, max_value=6))
def test_adjacent_transpositions_are_caught(body, position):
    a, b = body[position], body[position + 1]
    if a == b or {a, b} == {case_codes.ALPHABET[0], case_codes.ALPHABET[-1]}:
        return  # the one transposition Luhn mod N cannot detect (documented)
    swapped = body[:position] + b + a + body[position + 2 :]
    check = case_codes.check_symbol(body)
    assert not case_codes.is_valid(swapped + check)


def test_normalise_accepts_lowercase_and_spacing():
    code = case_codes.generate()
    messy = " " + code.lower().replace("-", " ") + " "
    assert case_codes.normalise(messy) == code


@pytest.mark.parametrize("text", ["", "ABCD", "ABCD-EFGH-", "0BCD-EFGH-2", "ABCD-EFGH-JK"])
def test_normalise_refuses_malformed_input(text):
    with pytest.raises(ValueError, match=case_codes.INVALID_CASE_CODE):
        case_codes.normalise(text)


def test_the_undetectable_transposition_is_only_first_and_last_symbol():
    alphabet = case_codes.ALPHABET
    missed = set()
    for a in alphabet:
        for b in alphabet:
            if a == b:
                continue
            body = a + b + "222222"
            if case_codes.check_symbol(body) == case_codes.check_symbol(b + a + "222222"):
                missed.add(frozenset((a, b)))
    assert missed == {frozenset((alphabet[0], alphabet[-1]))}
