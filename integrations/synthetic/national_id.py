"""Taiwanese national identification numbers: generation, checksum and the errors clerks make.

Shape: one area letter, a sex digit (1 male, 2 female), seven serial digits and a check digit. The
letter becomes a two-digit code (A=10 ... H=17 for Taoyuan ... Z=33); with the weights 1, 9 for the two
code digits, 8, 7, 6, 5, 4, 3, 2, 1 for the next eight digits and 1 for the check digit the weighted sum
is divisible by 10.
"""

from __future__ import annotations

import numpy as np

LETTER_CODES: dict[str, int] = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34, "J": 18,
    "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27,
    "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}  # fmt: skip
_WEIGHTS = np.asarray([8, 7, 6, 5, 4, 3, 2, 1], dtype=np.int64)

# Where young Taoyuan residents were first registered: mostly Taoyuan (H), then the neighbours.
BIRTH_LETTERS = ("H", "F", "A", "J", "O", "B", "E", "K", "G", "C", "D", "N", "M")
BIRTH_LETTER_P = np.asarray([0.72, 0.08, 0.06, 0.03, 0.02, 0.02, 0.02, 0.015, 0.01, 0.01, 0.01, 0.01, 0.015])


def checksum_ok(nid: str) -> bool:
    """True when ``nid`` is an uppercase letter + 9 digits with a correct check digit."""
    if len(nid) != 10 or nid[0] not in LETTER_CODES or not nid[1:].isdigit() or not nid[1:].isascii():
        return False
    code = LETTER_CODES[nid[0]]
    total = code // 10 + 9 * (code % 10)
    total += sum(int(c) * w for c, w in zip(nid[1:9], _WEIGHTS.tolist(), strict=True))
    total += int(nid[9])
    return total % 10 == 0


def make_ids(rng: np.random.Generator, letters: np.ndarray, sex_digits: np.ndarray) -> np.ndarray:
    """Unique valid national IDs, one per (letter, sex digit) pair; vectorised."""
    n = len(letters)
    codes = np.asarray([LETTER_CODES[x] for x in letters], dtype=np.int64)
    out = np.empty(n, dtype=object)
    todo = np.arange(n)
    seen: set[str] = set()
    while todo.size:
        serial = rng.integers(0, 10, size=(todo.size, 7))
        body = np.column_stack([sex_digits[todo].astype(np.int64), serial])
        c = codes[todo]
        total = c // 10 + 9 * (c % 10) + (body * _WEIGHTS).sum(axis=1)
        check = (10 - total % 10) % 10
        digits = np.column_stack([body, check]).astype(np.uint8) + ord("0")
        bodies = digits.view(f"S{digits.shape[1]}").ravel()
        retry = []
        for j, i in enumerate(todo):
            nid = letters[i] + bodies[j].decode()
            if nid in seen:
                retry.append(i)
            else:
                seen.add(nid)
                out[i] = nid
        todo = np.asarray(retry, dtype=np.int64)
    return out


def mistype(nid: str, rng: np.random.Generator) -> str:
    """One keying error: a digit replaced by another, or two neighbouring digits swapped.

    Most such errors fail the checksum; a few (e.g. a digit off by 5 where the weight is even) pass it,
    as in real records.
    """
    digits = list(nid)
    if rng.random() < 0.75:
        pos = int(rng.integers(2, 10))
        old = digits[pos]
        digits[pos] = str((int(old) + int(rng.integers(1, 10))) % 10)
    else:
        pos = int(rng.integers(2, 9))
        if digits[pos] == digits[pos + 1]:
            digits[pos] = str((int(digits[pos]) + 1) % 10)
        else:
            digits[pos], digits[pos + 1] = digits[pos + 1], digits[pos]
    return "".join(digits)


def malform(nid: str, rng: np.random.Generator) -> str:
    """A value that is not letter + sex digit + 8 digits at all (a blank is a different error)."""
    kind = int(rng.integers(0, 6))
    if kind == 0:  # a digit dropped
        pos = int(rng.integers(1, 10))
        return nid[:pos] + nid[pos + 1 :]
    if kind == 1:  # a digit doubled
        pos = int(rng.integers(1, 10))
        return nid[: pos + 1] + nid[pos:]
    if kind == 2:  # letter left out
        return nid[1:]
    if kind == 3:  # letter O / digit 0 confusion in the digits
        pos = nid.find("0", 1)
        return nid[:pos] + "O" + nid[pos + 1 :] if pos > 0 else nid[0] + "3" + nid[2:]
    if kind == 4:  # sex digit neither 1/2 nor 8/9
        return nid[0] + str(int(rng.choice([0, 3, 4, 5, 6, 7]))) + nid[2:]
    return nid[0] + nid[0] + nid[2:]  # letter typed twice over the sex digit


def cosmetic(nid: str, rng: np.random.Generator) -> str:
    """The same ID written loosely (lower case, spaces, hyphen, fullwidth digits): normalisable."""
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return nid.lower()
    if kind == 1:
        return f"{nid[0]} {nid[1:]}"
    if kind == 2:
        return f"{nid[:4]}-{nid[4:7]}-{nid[7:]}"
    return "".join(chr(ord(c) + 0xFEE0) for c in nid)
