"""The stored form's screen for integers wider than 64 bits: the fast digit-run check must
find every run the encoder can write, and the refusal must stay exact around it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leaveflow_kit.storage._common import encode_doc, has_long_digit_run


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ("1" * 18, False),
        ("1" * 19, True),
        ('{"a":"2026-01-01","b":123456789012345678}', False),
        ('{"a":-9223372036854775809}', True),
        ("x" + "9" * 19 + "x", True),
        ("12345678901234567,89", False),
        ("\u0661" * 30, False),  # Arabic-Indic digits: never a number in JSON text
        ("é" + "0" * 19, True),
        ("\ud800" + "1" * 19, True),  # a lone surrogate, as json.dumps may leave it
    ],
)
def test_a_long_digit_run_is_found_wherever_it_is(text: str, expected: bool) -> None:
    assert has_long_digit_run(text) is expected


@given(st.text(alphabet=st.sampled_from('0123456789 a-é"{}:,'), max_size=80))
def test_the_fast_check_agrees_with_a_plain_scan(text: str) -> None:
    longest = run = 0
    for ch in text:
        run = run + 1 if ch in "0123456789" else 0
        longest = max(longest, run)
    assert has_long_digit_run(text) is (longest >= 19)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**30])
def test_an_integer_wider_than_64_bits_is_refused_anywhere_in_the_document(value: int) -> None:
    with pytest.raises(TypeError, match="64 bits"):
        encode_doc({"a": [{"b": value}]})


@pytest.mark.parametrize("value", [2**63 - 1, -(2**63), "1" * 40])
def test_the_widest_64_bit_integers_and_long_digit_strings_are_kept(value: object) -> None:
    assert str(value) in encode_doc({"a": value})
