"""Case codes: short, random, non-identifying references for patients.

A code is 8 symbols from an alphabet without look-alike characters (no 0/O, 1/I/L, U),
grouped as `XXXX-XXXX`, followed by one check symbol computed with the Luhn mod N algorithm,
so a mistyped character, or two swapped neighbours, is caught before any lookup is made (the
one swap Luhn mod N cannot see is of the alphabet's first and last symbols, "2" and "Z").
Codes carry no information about the person: they come from the operating system's random
source.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 8
_INDEX = {symbol: i for i, symbol in enumerate(ALPHABET)}

INVALID_CASE_CODE = "This is not a valid case code. Check each character and try again."


def check_symbol(body: str) -> str:
    """Return the Luhn mod N check symbol for `body` (symbols of ALPHABET)."""
    n = len(ALPHABET)
    total = 0
    factor = 2
    for symbol in reversed(body):
        addend = factor * _INDEX[symbol]
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def generate() -> str:
    """Return a new random case code such as `7KQD-M2XF-R`."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{body[:4]}-{body[4:]}-{check_symbol(body)}"


def normalise(text: str) -> str:
    """Return `text` as a canonical case code, or raise ValueError with INVALID_CASE_CODE.

    Accepts any case, spaces or hyphens, and the usual look-alikes (O for 0 is not in the
    alphabet, so it is refused rather than guessed).
    """
    compact = "".join(ch for ch in text.upper() if ch not in " -")
    if len(compact) != BODY_LENGTH + 1 or any(ch not in _INDEX for ch in compact):
        raise ValueError(INVALID_CASE_CODE)
    body, check = compact[:BODY_LENGTH], compact[BODY_LENGTH]
    if check_symbol(body) != check:
        raise ValueError(INVALID_CASE_CODE)
    return f"{body[:4]}-{body[4:]}-{check}"


def is_valid(text: str) -> bool:
    """Return whether `text` is a well-formed case code with a correct check symbol."""
    try:
        normalise(text)
    except ValueError:
        return False
    return True
