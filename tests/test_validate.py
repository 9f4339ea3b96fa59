"""lecture_utils._validate: the one integer / real check and the one rng policy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lecture_utils import _validate, election, hmm, mixture


@pytest.mark.parametrize("value", [0, 3, -2, np.int64(5), np.uint8(1)])
def test_integers_are_integers(value):
    assert _validate.is_int(value) and _validate.is_real(value)


@pytest.mark.parametrize("value", [True, False, np.bool_(True), 2.0, "3", None, 1j])
def test_bools_floats_and_strings_are_not_integers(value):
    assert not _validate.is_int(value)


@pytest.mark.parametrize("value", [True, np.bool_(False), "1.5", None, 1j, [1.0]])
def test_bools_and_non_numbers_are_not_real(value):
    assert not _validate.is_real(value)


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=1e-300))
def test_positive_returns_the_float(x):
    assert _validate.positive(x, "x") == x


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (0.0, ValueError, "x must be a finite number > 0"),
        (float("inf"), ValueError, "x must be a finite number > 0"),
        (True, TypeError, "x must be a real number"),
        ("1", TypeError, "x must be a real number"),
    ],
)
def test_positive_names_the_argument(bad, error, message):
    with pytest.raises(error, match=message):
        _validate.positive(bad, "x")


def test_one_rng_policy_everywhere():
    seeded = [np.random.default_rng(7), 7, np.random.SeedSequence(7)]
    draws = [_validate.as_generator(r).random() for r in seeded]
    assert draws[0] == draws[1] == draws[2]
    g = np.random.default_rng(1)
    assert _validate.as_generator(g) is g
    assert isinstance(_validate.as_generator(None), np.random.Generator)
    for bad in (True, "7", 7.0):
        with pytest.raises(TypeError, match="rng must be a numpy Generator"):
            _validate.as_generator(bad)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        _validate.as_generator(-1)
    # the modules all use it
    assert hmm._check_rng is _validate.as_generator
    assert mixture._check_rng(5).random() == np.random.default_rng(5).random()
    assert (
        election._as_generator(np.random.SeedSequence(3)).random()
        == np.random.default_rng(3).random()
    )
