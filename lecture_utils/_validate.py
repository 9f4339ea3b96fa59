"""Argument checks shared by every module of lecture_utils: one integer test, one real-number
test, and one random-number policy.

- :func:`is_int` / :func:`is_real`: ``True`` for Python and NumPy integers / real numbers, and
  never for ``bool`` (``True`` is an ``int`` to Python, but ``n=True`` is a mistake).
- :func:`positive`, :func:`finite`: a real number as ``float``, or a ``TypeError`` /
  ``ValueError`` that names the argument.
- :func:`as_generator`, the one rng policy: a ``numpy.random.Generator`` is used as it is; an
  int seed or a ``SeedSequence`` seeds a new one (``np.random.default_rng``); ``None`` gives
  an unseeded one (the notebooks always pass a seed). Anything else is a ``TypeError``.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["as_generator", "finite", "is_int", "is_real", "positive"]


def is_int(value) -> bool:
    """An integer (Python or NumPy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value) -> bool:
    """A real number (Python or NumPy int or float), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def positive(value, name: str) -> float:
    """``value`` as a float, checked finite and > 0."""
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value


def finite(value, name: str) -> float:
    """``value`` as a float, checked finite."""
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def as_generator(rng, name: str = "rng") -> np.random.Generator:
    """The random source, by the one policy of the package (see the module docstring)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or is_int(rng) or isinstance(rng, np.random.SeedSequence):
        if is_int(rng) and rng < 0:
            raise ValueError(f"{name} as a seed must be >= 0, got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(
        f"{name} must be a numpy Generator (np.random.default_rng(SEED)), an int "
        f"seed or a SeedSequence, got {type(rng).__name__}"
    )
