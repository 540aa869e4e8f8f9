"""The national-ID check digit follows the Ministry of the Interior's published letter table, for every letter.

The table and the rule are written out here from the Ministry's publication, not taken from the project's own
code, and the valid IDs below were built by hand from them (never with ``make_national_id``), so a wrong
letter code in ``integrations.feeds.contract`` cannot agree with itself.

The rule: the letter becomes its two-digit code d1 d2; the 11 digits d1, d2 and the 9 digits of the ID are
weighted 1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1; the ID is valid when the weighted sum is divisible by 10.
"""

from __future__ import annotations

import pytest

from casework import identifiers
from integrations.feeds import contract
from integrations.feeds.contract import national_id_checksum_ok, normalise_national_id

# 內政部 letter codes: the area each letter was issued for, and its two-digit code.
MOI_LETTER_CODES = {
    "A": (10, "台北市"),
    "B": (11, "台中市"),
    "C": (12, "基隆市"),
    "D": (13, "台南市"),
    "E": (14, "高雄市"),
    "F": (15, "新北市"),
    "G": (16, "宜蘭縣"),
    "H": (17, "桃園市"),
    "I": (34, "嘉義市"),
    "J": (18, "新竹縣"),
    "K": (19, "苗栗縣"),
    "L": (20, "台中縣"),
    "M": (21, "南投縣"),
    "N": (22, "彰化縣"),
    "O": (35, "新竹市"),
    "P": (23, "雲林縣"),
    "Q": (24, "嘉義縣"),
    "R": (25, "台南縣"),
    "S": (26, "高雄縣"),
    "T": (27, "屏東縣"),
    "U": (28, "花蓮縣"),
    "V": (29, "台東縣"),
    "W": (32, "金門縣"),
    "X": (30, "澎湖縣"),
    "Y": (31, "陽明山"),
    "Z": (33, "連江縣"),
}
WEIGHTS = (1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1)

# One valid ID per letter, worked by hand. Bodies alternate 12345678 and 22345678 (male, female), so the sex
# digit varies too. Worked example, I123456781: I = 34 -> 3*1 + 4*9 = 39; 1*8 + 2*7 + 3*6 + 4*5 + 5*4 + 6*3
# + 7*2 + 8*1 = 120; check digit 1*1 = 1; 39 + 120 + 1 = 160, divisible by 10.
HAND_BUILT_VALID = {
    "A": "A123456789",
    "B": "B223456782",
    "C": "C123456781",
    "D": "D223456784",
    "E": "E123456783",
    "F": "F223456786",
    "G": "G123456785",
    "H": "H223456788",
    "I": "I123456781",
    "J": "J223456789",
    "K": "K123456788",
    "L": "L223456780",
    "M": "M123456789",
    "N": "N223456782",
    "O": "O123456782",
    "P": "P223456783",
    "Q": "Q123456782",
    "R": "R223456785",
    "S": "S123456784",
    "T": "T223456787",
    "U": "U123456786",
    "V": "V223456789",
    "W": "W123456789",
    "X": "X223456789",
    "Y": "Y123456788",
    "Z": "Z223456782",
}


def moi_weighted_sum(nid: str) -> int:
    """The Ministry's rule, written out independently of integrations.feeds.contract."""
    code, _area = MOI_LETTER_CODES[nid[0]]
    digits = [code // 10, code % 10, *(int(c) for c in nid[1:])]
    return sum(d * w for d, w in zip(digits, WEIGHTS, strict=True))


def test_the_table_here_covers_all_26_letters_once():
    assert sorted(MOI_LETTER_CODES) == [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    codes = [code for code, _area in MOI_LETTER_CODES.values()]
    assert sorted(codes) == list(range(10, 36))
    assert sorted(HAND_BUILT_VALID) == sorted(MOI_LETTER_CODES)


def test_the_hand_built_ids_satisfy_the_ministry_rule():
    for letter, nid in HAND_BUILT_VALID.items():
        assert nid[0] == letter
        assert moi_weighted_sum(nid) % 10 == 0, nid


@pytest.mark.parametrize("letter", sorted(MOI_LETTER_CODES))
def test_the_contract_letter_code_is_the_ministry_code(letter):
    # The contract's private table, checked entry by entry: a checksum test alone cannot tell apart two codes
    # whose d1 + 9*d2 agree modulo 10 (A=10 and M=21, for instance).
    assert identifiers.NID_LETTER_CODES[letter] == MOI_LETTER_CODES[letter][0]


def test_the_contract_table_has_no_extra_letters():
    assert set(identifiers.NID_LETTER_CODES) == set(MOI_LETTER_CODES)


@pytest.mark.parametrize(("letter", "nid"), sorted(HAND_BUILT_VALID.items()))
def test_the_validator_accepts_the_hand_built_id_and_only_its_check_digit(letter, nid):
    assert national_id_checksum_ok(nid)
    assert normalise_national_id(nid) == (nid, "valid")
    # Lower case and separators as typed at a counter still normalise to the valid ID.
    assert normalise_national_id(f"{nid[0].lower()} {nid[1:5]}-{nid[5:]}") == (nid, "valid")
    for digit in "0123456789":
        if digit == nid[-1]:
            continue
        wrong = nid[:-1] + digit
        assert not national_id_checksum_ok(wrong), wrong
        assert normalise_national_id(wrong) == (wrong, "bad_checksum")


@pytest.mark.parametrize("letter", sorted(MOI_LETTER_CODES))
def test_the_validator_agrees_with_the_ministry_rule_on_many_bodies(letter):
    """Every serial with every check digit, for a spread of serials: accepted exactly when the rule says so."""
    for sex_digit in "1289":
        for serial in ("0000000", "1234567", "7654321", "9999999", "0102030", "5555555"):
            for check in "0123456789":
                nid = f"{letter}{sex_digit}{serial}{check}"
                assert national_id_checksum_ok(nid) == (moi_weighted_sum(nid) % 10 == 0), nid


def test_a_letter_swap_or_a_typo_in_the_letter_is_caught():
    # A123456789 is valid; B123456789 is not (B = 11 adds 9 to the sum). M123456789 is valid too: M = 21
    # gives 2 + 9*1 = 11, the same as A modulo 10, which is why the table is also checked entry by entry.
    assert national_id_checksum_ok("A123456789")
    assert not national_id_checksum_ok("B123456789")
    assert not national_id_checksum_ok("a123456789")  # the checker itself takes upper case only


def test_the_synthetic_generator_agrees_with_the_hand_built_ids():
    """Not the specification (the table above is), but synthetic data must carry IDs a bureau would accept."""
    for letter, nid in HAND_BUILT_VALID.items():
        assert contract.make_national_id(letter, int(nid[1]), nid[2:9]) == nid
