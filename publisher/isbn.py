"""ISBN-13: the check a content field gets, and the digits a barcode encodes.

Rules (ISO 2108, the International ISBN Agency's users' manual): thirteen digits, optionally
grouped by hyphens or spaces, with the prefix 978 or 979 (the Bookland EAN prefixes); the
last digit is a check digit: the other twelve weighted 1, 3, 1, 3, … make, with it, a
multiple of ten.
"""

from __future__ import annotations

import re

_SHAPE = re.compile(r"\d(?:[- ]?\d){12}")


def isbn_digits(text: str) -> str:
    """The thirteen digits of an ISBN written with or without hyphens or spaces."""
    return re.sub(r"[- ]", "", text)


def check_digit(twelve: str) -> int:
    """The EAN-13 check digit of twelve digits."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve))
    return (10 - total % 10) % 10


def isbn_problem(text: str) -> str | None:
    """What is wrong with an ISBN-13 (a message for `path:line: field: message`), or None."""
    if not _SHAPE.fullmatch(text.strip()):
        return f"expected an ISBN-13 (13 digits, hyphens allowed), got {text.strip()[:40]!r}"
    digits = isbn_digits(text.strip())
    if not digits.startswith(("978", "979")):
        return f"an ISBN-13 starts with 978 or 979, not {digits[:3]}"
    expected = check_digit(digits[:12])
    if int(digits[12]) != expected:
        return f"the check digit of {text.strip()} is wrong: {digits[12]} where the other digits give {expected}"
    return None
