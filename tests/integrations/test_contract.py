"""Specification of the feed contract module (``integrations.feeds.contract``).

Pure Python: no database, no Django settings needed. All names and IDs are invented.
"""

import datetime
import json

import pytest

from integrations.feeds.contract import (
    FEEDS,
    IDENTITY_COLUMNS,
    NATIONAL_ID_STATUSES,
    OVERFLOW_KEY,
    ContractError,
    CsvFile,
    FeedSpec,
    detect_encoding,
    event_date,
    get_feed,
    knowledge_date,
    make_national_id,
    missing_columns,
    national_id_checksum_ok,
    normalise_name,
    normalise_national_id,
    parse_bool,
    parse_date,
    parse_int,
    parse_sex,
    read_rows,
    record_key,
    validate_row,
)

D = datetime.date

# A made-up person used in identity rows.
PERSON = {"name": "王小明", "birth_date": "097/05/12", "sex": "M", "national_id": "A123456789"}


# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2009-03-12",  # ISO
        "098/03/12",  # ROC, 3-digit year
        "98/03/12",  # ROC, 2-digit year
        "0980312",  # ROC compact: 3-digit year + MMDD
        "98.03.12",  # ROC with dots
        "098.03.12",
        "98-03-12",  # ROC with dashes: a 2-digit year is always ROC
        "098-03-12",
        "98/3/12",  # single-digit month
        " 098/03/12 ",  # surrounding whitespace
        "０９８／０３／１２",  # fullwidth digits and slashes
        "2009/03/12",  # 4-digit year with slashes is Gregorian
        "2009.3.12",
        "20090312",  # Gregorian compact
        "2009-03-12 00:00:00",  # Excel datetime
        "2009-03-12T08:30",
        "民國98年3月12日",
        "98年3月12日",
        "2009年3月12日",
    ],
)
def test_parse_date_accepts_every_contract_spelling(value):
    assert parse_date(value) == D(2009, 3, 12)


def test_roc_year_is_plus_1911_for_three_digit_years_after_100():
    assert parse_date("102/01/05") == D(2013, 1, 5)
    assert parse_date("1020105") == D(2013, 1, 5)
    assert parse_date("095/03/12") == D(2006, 3, 12)  # the example in DOMAIN.md


@pytest.mark.parametrize("value", ["", "   ", None, "\u3000"])
def test_parse_date_blank_is_unknown(value):
    assert parse_date(value) is None


def test_parse_date_passes_date_objects_through():
    assert parse_date(D(2010, 1, 2)) == D(2010, 1, 2)
    assert parse_date(datetime.datetime(2010, 1, 2, 13, 5)) == D(2010, 1, 2)


def test_roc_leap_day():
    # ROC 97 = 2008, a leap year; ROC 98 = 2009 is not.
    assert parse_date("097/02/29") == D(2008, 2, 29)
    with pytest.raises(ContractError, match=r"'098/02/29' is not a valid date \(day 29 does not exist"):
        parse_date("098/02/29")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("098/13/12", "month 13 does not exist"),
        ("098/00/12", "month 0 does not exist"),
        ("098/13/40", "month 13 does not exist"),
        ("2009-02-30", "day 30 does not exist in 2009-02"),
        ("98/04/31", "day 31 does not exist in 2009-04"),
        ("0980230", "day 30 does not exist in 2009-02"),
        ("000/01/01", "ROC year must be at least 1"),
        ("1850-01-01", "year 1850 is outside the plausible range"),
        ("999/01/01", "year 2910 is outside the plausible range"),
        ("garbage", "expected YYYY-MM-DD"),
        ("980312", "expected YYYY-MM-DD"),  # 6 digits: ambiguous, rejected
        ("8/03/12", "expected YYYY-MM-DD"),  # 1-digit year
        ("98/03-12", "expected YYYY-MM-DD"),  # mixed separators
        ("12/03/2009", "expected YYYY-MM-DD"),  # day-first Gregorian is not in the contract
        ("民國2009年3月12日", "expected YYYY-MM-DD"),  # ROC marker with a Gregorian year
    ],
)
def test_parse_date_rejects_invalid_dates_naming_the_value(value, reason):
    with pytest.raises(ContractError) as info:
        parse_date(value)
    message = str(info.value)
    assert message.startswith(f"{value!r} is not a valid date")
    assert reason in message


def test_contract_error_is_a_value_error():
    assert issubclass(ContractError, ValueError)


# --------------------------------------------------------------------------------------------------
# Booleans and sex
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Y", True),
        ("y", True),
        ("N", False),
        ("n", False),
        ("1", True),
        ("0", False),
        ("是", True),
        ("否", False),
        ("true", True),
        ("TRUE", True),
        ("True", True),
        ("false", False),
        ("FALSE", False),
        (" Y ", True),
        ("yes", True),
        ("No", False),
        ("Ｙ", True),  # fullwidth
        (True, True),  # JSON
        (False, False),
        (1, True),
        (0, False),
    ],
)
def test_parse_bool_spellings(value, expected):
    assert parse_bool(value) is expected


@pytest.mark.parametrize("value", ["", "  ", None])
def test_parse_bool_blank_is_unknown(value):
    assert parse_bool(value) is None


@pytest.mark.parametrize("value", ["maybe", "2", "有", "x", "YN"])
def test_parse_bool_rejects_other_values(value):
    with pytest.raises(ContractError, match=f"'{value}' is not a valid boolean"):
        parse_bool(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("M", "M"),
        ("m", "M"),
        ("男", "M"),
        ("1", "M"),
        ("F", "F"),
        ("f", "F"),
        ("女", "F"),
        ("2", "F"),
        (" F ", "F"),
        ("Ｍ", "M"),
        ("male", "M"),
        ("Female", "F"),
        (1, "M"),
        (2, "F"),
        ("", ""),
        (None, ""),
    ],
)
def test_parse_sex_spellings(value, expected):
    assert parse_sex(value) == expected


@pytest.mark.parametrize("value", ["X", "3", "0", "男性?", "unknown"])
def test_parse_sex_rejects_other_values(value):
    with pytest.raises(ContractError, match="is not a valid sex"):
        parse_sex(value)


def test_parse_int():
    assert parse_int("7", 1, 12) == 7
    assert parse_int("07", 1, 12) == 7
    assert parse_int("7.0", 1, 12) == 7
    assert parse_int("１２", 1, 12) == 12
    assert parse_int(9, 1, 12) == 9
    assert parse_int("", 1, 12) is None
    with pytest.raises(ContractError, match=r"'13' is out of range \(must be between 1 and 12\)"):
        parse_int("13", 1, 12)
    with pytest.raises(ContractError, match=r"'0' is out of range"):
        parse_int("0", 1, 12)
    with pytest.raises(ContractError, match="'seven' is not a whole number"):
        parse_int("seven", 1, 12)
    with pytest.raises(ContractError, match="is not a whole number"):
        parse_int("7.5")
    with pytest.raises(ContractError, match="is not a whole number"):
        parse_int("-1")


# --------------------------------------------------------------------------------------------------
# National ID
# --------------------------------------------------------------------------------------------------

# Hand-computed checksums (letter code digits weighted 1 and 9, then the 9 digits weighted 8..1, 1):
# A123456789: A=10 -> 1*1 + 0*9 = 1; 1*8+2*7+3*6+4*5+5*4+6*3+7*2+8*1+9*1 = 129; 1 + 129 = 130 -> valid.
# A123456788: same but last digit 8 -> 129 -> invalid.
# F212345674: F=15 -> 1*1 + 5*9 = 46; 2*8+1*7+2*6+3*5+4*4+5*3+6*2+7*1 = 100; + 4 = 150 -> valid.
# I100000003: I=34 -> 3*1 + 4*9 = 39; 1*8 = 8; + 3 = 50 -> valid.
# O200000004: O=35 -> 3 + 45 = 48; 2*8 = 16; + 4 = 68 -> invalid.  O200000006 -> 70 -> valid.
# Z100000002: Z=33 -> 3 + 27 = 30; 1*8 = 8; + 2 = 40 -> valid.
# W100000000: W=32 -> 3 + 18 = 21; 8; + 0 = 29 -> invalid.  W100000001 -> 30 -> valid.
# A800000014: A -> 1; 8*8 = 64; 1*1 = 1; + 4 = 70 -> valid (new-format resident certificate).
VALID_IDS = ["A123456789", "F212345674", "I100000003", "O200000006", "Z100000002", "W100000001", "A800000014"]
BAD_CHECKSUM_IDS = ["A123456788", "O200000004", "W100000000", "F212345675", "A800000015"]


@pytest.mark.parametrize("nid", VALID_IDS)
def test_checksum_accepts_hand_computed_valid_ids(nid):
    assert national_id_checksum_ok(nid)
    assert normalise_national_id(nid) == (nid, "valid")


@pytest.mark.parametrize("nid", BAD_CHECKSUM_IDS)
def test_checksum_rejects_hand_computed_invalid_ids(nid):
    assert not national_id_checksum_ok(nid)
    assert normalise_national_id(nid) == (nid, "bad_checksum")


@pytest.mark.parametrize(
    "nid", ["", "A12345678", "A1234567890", "1234567890", "AB12345678", "a123456789", 12]
)
def test_checksum_is_false_for_anything_not_letter_plus_nine_digits(nid):
    assert national_id_checksum_ok(nid) is False


def test_one_typo_in_any_digit_breaks_the_checksum():
    nid = "A123456789"
    for position in range(1, 10):
        digit = int(nid[position])
        typo = nid[:position] + str((digit + 1) % 10) + nid[position + 1 :]
        assert not national_id_checksum_ok(typo), typo


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("A123456789", ("A123456789", "valid")),
        (" a123456789 ", ("A123456789", "valid")),  # trimmed and uppercased
        ("Ａ１２３４５６７８９", ("A123456789", "valid")),  # fullwidth
        ("A 123-456-789", ("A123456789", "valid")),  # separators removed
        ("", ("", "missing")),
        ("   ", ("", "missing")),
        (None, ("", "missing")),
        ("A323456789", ("A323456789", "malformed")),  # second digit must be 1, 2, 8 or 9
        ("A023456789", ("A023456789", "malformed")),
        ("A12345678", ("A12345678", "malformed")),  # too short
        ("AB12345678", ("AB12345678", "malformed")),  # old-format resident certificate
        ("1234567890", ("1234567890", "malformed")),
        ("A123456788", ("A123456788", "bad_checksum")),
        ("A800000014", ("A800000014", "valid")),
        ("A900000010", ("A900000010", "bad_checksum")),
    ],
)
def test_normalise_national_id(value, expected):
    assert normalise_national_id(value) == expected
    assert expected[1] in NATIONAL_ID_STATUSES


def test_make_national_id_computes_the_check_digit():
    assert make_national_id("A", 1, "2345678") == "A123456789"
    assert make_national_id("f", 2, "1234567") == "F212345674"
    assert make_national_id("I", 1, "0000000") == "I100000003"
    assert make_national_id("A", 8, "0000001") == "A800000014"
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        for sex_digit in (1, 2, 8, 9):
            nid = make_national_id(letter, sex_digit, "7654321")
            assert normalise_national_id(nid) == (nid, "valid")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("1", 1, "2345678"), "letter"),
        (("AB", 1, "2345678"), "letter"),
        (("A", 3, "2345678"), "sex digit"),
        (("A", 1, "234567"), "7 digits"),
        (("A", 1, "23456789"), "7 digits"),
        (("A", 1, "234567x"), "7 digits"),
    ],
)
def test_make_national_id_rejects_bad_input(args, message):
    with pytest.raises(ContractError, match=message):
        make_national_id(*args)


# --------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("王小明", "王小明"),
        (" 王 小明 ", "王小明"),
        ("王\u3000小明", "王小明"),  # ideographic space
        ("瓦力斯·諾明", "瓦力斯·諾明"),
        ("瓦力斯・諾明", "瓦力斯·諾明"),  # katakana middle dot U+30FB
        ("瓦力斯‧諾明", "瓦力斯·諾明"),  # hyphenation point U+2027
        ("瓦力斯•諾明", "瓦力斯·諾明"),  # bullet U+2022
        ("瓦力斯･諾明", "瓦力斯·諾明"),  # halfwidth katakana middle dot U+FF65
        ("瓦力斯．諾明", "瓦力斯·諾明"),  # fullwidth full stop U+FF0E
        ("瓦力斯 · 諾明", "瓦力斯·諾明"),
        ("瓦力斯··諾明", "瓦力斯·諾明"),  # doubled dot collapses
        ("·瓦力斯·", "瓦力斯"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_name(value, expected):
    assert normalise_name(value) == expected


# --------------------------------------------------------------------------------------------------
# Encoding detection and CSV reading
# --------------------------------------------------------------------------------------------------

CHINESE_CSV = (
    "contact_no,name,birth_date,district,address\r\nP-001,陳美玲,098/03/12,中壢區,中壢區某某路1號\r\n"
)


def test_detect_cp950_and_round_trip():
    data = CHINESE_CSV.encode("cp950")
    assert detect_encoding(data) == "cp950"
    encoding, header, rows = read_rows(data)
    assert encoding == "cp950"
    assert header == ["contact_no", "name", "birth_date", "district", "address"]
    assert rows == [
        (
            1,
            {
                "contact_no": "P-001",
                "name": "陳美玲",
                "birth_date": "098/03/12",
                "district": "中壢區",
                "address": "中壢區某某路1號",
            },
        )
    ]


def test_detect_utf8_without_bom():
    data = CHINESE_CSV.encode("utf-8")
    assert detect_encoding(data) == "utf-8"
    assert read_rows(data).rows[0][1]["name"] == "陳美玲"


def test_detect_utf8_with_bom_and_header_is_clean():
    data = CHINESE_CSV.encode("utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")
    assert detect_encoding(data) == "utf-8-sig"
    encoding, header, rows = read_rows(data)
    assert encoding == "utf-8-sig"
    assert header[0] == "contact_no"  # no BOM glued to the first column name
    assert rows[0][1]["contact_no"] == "P-001"


def test_pure_ascii_is_utf8():
    assert detect_encoding(b"contact_no,birth_date\n1,2009-01-01\n") == "utf-8"
    assert detect_encoding(b"") == "utf-8"


def test_undecodable_bytes_raise():
    # 0xFF is never valid in UTF-8 and never a CP950 lead byte.
    with pytest.raises(ContractError, match="neither valid UTF-8 nor valid CP950"):
        detect_encoding(b"contact_no\n\xff\xff\n")
    with pytest.raises(ContractError, match="neither valid UTF-8 nor valid CP950"):
        read_rows(b"contact_no\n\xff\xff\n")


def test_utf16_and_binary_are_refused_clearly():
    with pytest.raises(ContractError, match="UTF-16"):
        detect_encoding("contact_no\n".encode("utf-16"))
    with pytest.raises(ContractError, match="NUL"):
        detect_encoding(b"c\x00o\x00n\x00")


def test_forced_encoding():
    data = CHINESE_CSV.encode("cp950")
    assert read_rows(data, encoding="cp950").encoding == "cp950"
    assert read_rows(data, encoding="big5").rows[0][1]["name"] == "陳美玲"
    with pytest.raises(ContractError, match="cannot be decoded as 'utf-8'"):
        read_rows(data, encoding="utf-8")
    with pytest.raises(ContractError, match="unknown encoding 'klingon'"):
        read_rows(data, encoding="klingon")
    # Forcing utf-8 on a file with a BOM still gives a clean header.
    bom = CHINESE_CSV.encode("utf-8-sig")
    assert read_rows(bom, encoding="utf8").header[0] == "contact_no"
    assert read_rows(bom, encoding="utf8").encoding == "utf-8"


def test_read_rows_trims_header_keeps_extra_columns_and_numbers_rows():
    text = (
        " contact_no , name ,birth_date,my_note\nP-1,王小明,98/01/01,hello\r\nP-2,李小華,98/01/02, spaced \n"
    )
    encoding, header, rows = read_rows(text.encode())
    assert encoding == "utf-8"
    assert header == ["contact_no", "name", "birth_date", "my_note"]
    assert [number for number, _ in rows] == [1, 2]
    assert rows[0][1]["my_note"] == "hello"
    assert rows[1][1]["my_note"] == " spaced "  # raw values are not trimmed


def test_read_rows_returns_a_named_tuple():
    result = read_rows(b"contact_no\nP-1\n")
    assert isinstance(result, CsvFile)
    assert result == ("utf-8", ["contact_no"], [(1, {"contact_no": "P-1"})])


def test_read_rows_handles_quoted_commas_and_newlines():
    text = 'contact_no,address\r\nP-1,"中壢區某路1號, 2樓"\r\nP-2,"第一行\r\n第二行"\r\nP-3,x\r\n'
    _, _, rows = read_rows(text.encode("cp950"))
    assert rows[0][1]["address"] == "中壢區某路1號, 2樓"
    assert rows[1][1]["address"] == "第一行\r\n第二行"
    assert [number for number, _ in rows] == [1, 2, 3]


def test_read_rows_skips_all_blank_rows_but_keeps_numbering():
    # Empty lines and all-blank rows are skipped but counted, so the number + 1 is the spreadsheet row.
    _, _, rows = read_rows(b"contact_no,name\nP-1,a\n\n,\n , \nP-2,b\n")
    assert [(n, r["contact_no"]) for n, r in rows] == [(1, "P-1"), (5, "P-2")]


def test_read_rows_short_and_long_rows():
    _, _, rows = read_rows(b"contact_no,name,birth_date\nP-1,a\nP-2,b,2009-01-01,surplus,more\n")
    assert rows[0][1] == {"contact_no": "P-1", "name": "a", "birth_date": ""}
    assert rows[1][1][OVERFLOW_KEY] == "surplus,more"


def test_read_rows_header_only_is_an_empty_file_not_an_error():
    assert read_rows(b"contact_no,name\r\n").rows == []


@pytest.mark.parametrize("data", [b"", b"\n\n", "\ufeff".encode(), b" , \n"])
def test_read_rows_without_header_raises(data):
    with pytest.raises(ContractError, match="no header row"):
        read_rows(data)


def test_read_rows_blank_header_names_get_positional_names():
    header = read_rows(b"contact_no,,name,\nP-1,x,a,\n").header
    assert header == ["contact_no", "_column_2", "name", "_column_4"]


def test_read_rows_duplicate_columns_raise():
    with pytest.raises(ContractError, match="repeats column name.*name"):
        read_rows(b"contact_no,name, name\nP-1,a,b\n")


# --------------------------------------------------------------------------------------------------
# Feed definitions
# --------------------------------------------------------------------------------------------------

ALL_FEEDS = [
    "school.students",
    "school.absences",
    "school.dropouts",
    "school.incidents",
    "school.counselling",
    "police.contacts",
    "welfare.reports",
    "welfare.assistance",
    "court.sealing",
]


def test_every_feed_of_the_contract_is_defined():
    assert sorted(FEEDS) == sorted(ALL_FEEDS)
    for name, spec in FEEDS.items():
        assert isinstance(spec, FeedSpec)
        assert spec.name == name
        assert set(spec.key_columns) <= set(spec.column_names)
        assert set(spec.key_columns) <= set(spec.required_columns)


def test_feed_specs_are_frozen():
    with pytest.raises(AttributeError):
        FEEDS["police.contacts"].name = "x"


@pytest.mark.parametrize(
    ("feed", "bureau", "key"),
    [
        ("school.students", "education", ("school_code", "student_no")),
        ("school.absences", "education", ("absence_no",)),
        ("school.dropouts", "education", ("report_no",)),
        ("school.incidents", "education", ("incident_no",)),
        ("school.counselling", "education", ("counselling_no",)),
        ("police.contacts", "police", ("contact_no",)),
        ("welfare.reports", "welfare", ("report_no",)),
        ("welfare.assistance", "welfare", ("assistance_no",)),
        ("court.sealing", "court", ("notice_no",)),
    ],
)
def test_bureaus_and_record_keys(feed, bureau, key):
    spec = get_feed(feed)
    assert spec.bureau == bureau
    assert spec.key_columns == key


def test_which_feeds_name_a_person():
    identity = {name for name, spec in FEEDS.items() if spec.carries_identity}
    assert identity == {
        "school.students",
        "police.contacts",
        "welfare.reports",
        "welfare.assistance",
        "court.sealing",
    }
    identity_names = [column.name for column in IDENTITY_COLUMNS]
    for name in ALL_FEEDS:
        spec = get_feed(name)
        if spec.carries_identity:
            assert set(identity_names) <= set(spec.column_names)
            assert "birth_date" in spec.required_columns
            assert not spec.refers_to_student
        else:
            assert not set(identity_names) & set(spec.column_names)
            assert {"school_code", "student_no"} <= set(spec.required_columns)
            assert spec.refers_to_student


def test_column_types_and_enumerations():
    def column(feed, name):
        return get_feed(feed).column(name)

    assert column("school.absences", "kind").choices == ("excused", "unexcused")
    assert column("school.incidents", "severity").choices == ("urgent", "legal", "general")
    assert column("police.contacts", "kind").choices == ("offence", "exposure", "deviant", "missing")
    assert column("welfare.reports", "kind").choices == ("child_protection", "fragile_family")
    assert column("welfare.reports", "level").choices == ("high", "medium", "low")
    assert column("welfare.assistance", "status").choices == ("low_income", "mid_low_income")
    grade = column("school.students", "grade")
    assert (grade.type, grade.min_value, grade.max_value) == ("int", 1, 12)
    tier = column("school.counselling", "tier")
    assert (tier.type, tier.min_value, tier.max_value) == ("int", 1, 3)
    assert column("welfare.reports", "reason_codes").type == "list"
    assert column("court.sealing", "contact_nos").type == "list"
    assert column("welfare.reports", "substantiated").type == "bool"
    assert column("school.students", "indigenous").type == "bool"
    assert column("school.students", "new_immigrant_parent").type == "bool"
    assert column("police.contacts", "sex").type == "sex"
    assert column("police.contacts", "recorded_on").type == "date"
    with pytest.raises(KeyError):
        column("police.contacts", "nonexistent")


@pytest.mark.parametrize("feed", ["school.student", "police", "", "POLICE.CONTACTS"])
def test_unknown_feed_is_rejected(feed):
    with pytest.raises(ContractError, match="unknown feed"):
        get_feed(feed)
    with pytest.raises(ContractError, match="unknown feed"):
        validate_row(feed, {})


def test_missing_columns():
    assert missing_columns("police.contacts", ["contact_no", "name", "birth_date"]) == []
    assert missing_columns("police.contacts", [" Contact_No ", "name_romanized", "birth_date"]) == []
    assert missing_columns("police.contacts", ["contact_no", "birth_date"]) == ["name or name_romanized"]
    assert missing_columns("school.absences", ["absence_no", "date"]) == ["student_no", "school_code"]
    assert missing_columns("school.students", ["name", "birth_date"]) == ["school_code", "student_no"]


# --------------------------------------------------------------------------------------------------
# Row validation
# --------------------------------------------------------------------------------------------------


def test_valid_students_row_and_its_key():
    row = validate_row(
        "school.students",
        {
            "school_code": " 034501 ",
            "student_no": "S0001",
            "grade": "8",
            "enrolled_on": "111/08/30",
            "left_on": "",
            "indigenous": "否",
            "new_immigrant_parent": "Y",
            **PERSON,
        },
    )
    assert row.ok and row.errors == []
    assert row.key == "034501/S0001"
    assert row.values["grade"] == 8
    assert row.values["enrolled_on"] == D(2022, 8, 30)
    assert row.values["left_on"] is None
    assert row.values["indigenous"] is False
    assert row.values["new_immigrant_parent"] is True
    assert row.values["birth_date"] == D(2008, 5, 12)
    assert row.values["sex"] == "M"
    assert row.values["name"] == "王小明"
    assert row.national_id_status == "valid"
    assert row.extra == {}


def test_single_key_feeds_use_their_no_column():
    row = validate_row("police.contacts", {"contact_no": " P-2024-0001 ", **PERSON})
    assert row.ok
    assert row.key == "P-2024-0001"
    assert validate_row(
        "school.absences", {"absence_no": "A-9", "student_no": "S1", "school_code": "X"}
    ).key == ("A-9")


def test_record_key_helper():
    assert record_key("school.students", {"school_code": "034501", "student_no": "S0001"}) == "034501/S0001"
    assert record_key("welfare.reports", {"report_no": " W-1 "}) == "W-1"
    assert record_key("school.students", {"school_code": "034501"}) == ""


def test_unknown_extra_columns_are_kept_raw():
    row = validate_row(
        "police.contacts", {"contact_no": "P-1", **PERSON, "officer_note": " 夜間 ", "Other": ""}
    )
    assert row.ok
    assert row.extra == {"officer_note": " 夜間 ", "Other": ""}
    assert "officer_note" not in row.values


def test_known_columns_match_case_insensitively():
    row = validate_row("police.contacts", {"Contact_No": "P-1", "NAME": "王小明", " Birth_Date ": "98/01/01"})
    assert row.ok
    assert row.key == "P-1"
    assert row.values["birth_date"] == D(2009, 1, 1)


def test_blank_optional_values_are_unknown():
    row = validate_row("welfare.reports", {"report_no": "W-1", **PERSON})
    assert row.ok
    assert row.values["reported_on"] is None
    assert row.values["kind"] is None
    assert row.values["level"] is None
    assert row.values["substantiated"] is None
    assert row.values["reason_codes"] == []
    assert row.values["district"] == ""


@pytest.mark.parametrize(
    ("feed", "raw", "expected"),
    [
        (
            "police.contacts",
            {"name": "王小明", "birth_date": "98/01/01"},
            "contact_no: required column is missing",
        ),
        (
            "police.contacts",
            {"contact_no": "  ", "name": "王小明", "birth_date": "98/01/01"},
            "contact_no: required value is missing",
        ),
        (
            "police.contacts",
            {"contact_no": "P-1", "name": "王小明", "birth_date": ""},
            "birth_date: required value",
        ),
        (
            "police.contacts",
            {"contact_no": "P-1", "name": " ", "name_romanized": "", "birth_date": "98/01/01"},
            "name: required unless name_romanized is given, and both are blank",
        ),
        (
            "police.contacts",
            {"contact_no": "P-1", "name": "王小明", "birth_date": "098/13/40"},
            "birth_date: '098/13/40' is not a valid date (month 13 does not exist)",
        ),
        (
            "police.contacts",
            {"contact_no": "P-1", **PERSON, "kind": "crime"},
            "kind: 'crime' is not one of offence, exposure, deviant, missing",
        ),
        (
            "police.contacts",
            {"contact_no": "P-1", **PERSON, "recorded_on": "yesterday"},
            "recorded_on: 'yesterday' is not a valid date",
        ),
        (
            "police.contacts",
            {"contact_no": "P-1", **PERSON, "sex": "X"},
            "sex: 'X' is not a valid sex (expected M/F, 男/女 or 1/2)",
        ),
        (
            "school.students",
            {"school_code": "1", "student_no": "2", **PERSON, "grade": "13"},
            "grade: '13' is out of range (must be between 1 and 12)",
        ),
        (
            "school.students",
            {"school_code": "1", "student_no": "2", **PERSON, "grade": "七"},
            "grade: '七' is not a whole number",
        ),
        (
            "school.students",
            {"school_code": "1", "student_no": "2", **PERSON, "indigenous": "maybe"},
            "indigenous: 'maybe' is not a valid boolean",
        ),
        ("school.students", {"student_no": "2", **PERSON}, "school_code: required column is missing"),
        (
            "school.absences",
            {"absence_no": "A-1", "student_no": "S1", "school_code": "X", "kind": "sick"},
            "kind: 'sick' is not one of excused, unexcused",
        ),
        (
            "school.absences",
            {"absence_no": "A-1", "school_code": "X"},
            "student_no: required column is missing",
        ),
        (
            "school.incidents",
            {"incident_no": "I-1", "student_no": "S1", "school_code": "X", "severity": "minor"},
            "severity: 'minor' is not one of urgent, legal, general",
        ),
        (
            "school.counselling",
            {"counselling_no": "C-1", "student_no": "S1", "school_code": "X", "tier": "4"},
            "tier: '4' is out of range (must be between 1 and 3)",
        ),
        (
            "welfare.reports",
            {"report_no": "W-1", **PERSON, "kind": "abuse"},
            "kind: 'abuse' is not one of child_protection, fragile_family",
        ),
        (
            "welfare.reports",
            {"report_no": "W-1", **PERSON, "level": "extreme"},
            "level: 'extreme' is not one of high, medium, low",
        ),
        (
            "welfare.reports",
            {"report_no": "W-1", **PERSON, "substantiated": "perhaps"},
            "substantiated: 'perhaps' is not a valid boolean",
        ),
        (
            "welfare.assistance",
            {"assistance_no": "S-1", **PERSON, "status": "poor"},
            "status: 'poor' is not one of low_income, mid_low_income",
        ),
        (
            "court.sealing",
            {"notice_no": "N-1", **PERSON, "effective_on": "112/02/30"},
            "effective_on: '112/02/30' is not a valid date (day 30 does not exist in 2023-02)",
        ),
        ("court.sealing", {"notice_no": "N-1", "name": "王小明"}, "birth_date: required column is missing"),
    ],
)
def test_each_error_reason(feed, raw, expected):
    row = validate_row(feed, raw)
    assert not row.ok
    assert any(error.startswith(expected) for error in row.errors), row.errors


def test_all_errors_of_a_row_are_reported_together():
    row = validate_row(
        "police.contacts",
        {
            "contact_no": "",
            "name": "",
            "birth_date": "98/02/30",
            "sex": "?",
            "kind": "bad",
            "recorded_on": "x",
        },
    )
    columns = sorted(error.split(":")[0] for error in row.errors)
    assert columns == ["birth_date", "contact_no", "kind", "name", "recorded_on", "sex"]
    assert row.key == ""


def test_overflowing_row_is_an_error_and_kept():
    raw = {"contact_no": "P-1", **PERSON, OVERFLOW_KEY: "中壢區,2樓"}
    row = validate_row("police.contacts", raw)
    assert row.errors == ["row has more fields than the header (surplus: '中壢區,2樓')"]
    assert row.extra[OVERFLOW_KEY] == "中壢區,2樓"


def test_a_json_row_naming_the_overflow_key_with_any_value_is_an_error_not_a_crash():
    """Found by fuzzing: an API row may carry the overflow key itself, with a value that is not a list."""
    row = validate_row("court.sealing", {OVERFLOW_KEY: True})
    assert "row has more fields than the header (surplus: 'true')" in row.errors


def test_national_id_problems_are_not_row_errors():
    for nid, status in [("", "missing"), ("A12345", "malformed"), ("A123456788", "bad_checksum")]:
        row = validate_row("police.contacts", {"contact_no": "P-1", **PERSON, "national_id": nid})
        assert row.ok, row.errors
        assert row.national_id_status == status
        assert row.values["national_id"] == nid
    row = validate_row("police.contacts", {"contact_no": "P-1", "name": "王小明", "birth_date": "98/01/01"})
    assert row.national_id_status == "missing"


def test_national_id_status_is_blank_for_feeds_without_identity():
    row = validate_row("school.absences", {"absence_no": "A-1", "student_no": "S1", "school_code": "X"})
    assert row.ok
    assert row.national_id_status == ""
    assert "national_id" not in row.values


def test_romanized_name_alone_is_enough():
    row = validate_row(
        "police.contacts",
        {
            "contact_no": "P-1",
            "name": "",
            "name_romanized": "  WANG   Hsiao-ming ",
            "birth_date": "2009-01-01",
        },
    )
    assert row.ok
    assert row.values["name"] == ""
    assert row.values["name_romanized"] == "WANG Hsiao-ming"


def test_names_are_normalised_in_values():
    row = validate_row(
        "welfare.assistance", {"assistance_no": "S-1", "name": "瓦力斯・諾明", "birth_date": "0970101"}
    )
    assert row.values["name"] == "瓦力斯·諾明"


def test_enumerations_are_case_insensitive_and_accept_chinese_labels():
    def value(feed, column, raw_value, **extra):
        return validate_row(feed, {**extra, column: raw_value}).values[column]

    police = {"contact_no": "P-1", **PERSON}
    assert value("police.contacts", "kind", "Offence", **police) == "offence"
    assert value("police.contacts", "kind", "offense", **police) == "offence"
    assert value("police.contacts", "kind", "曝險", **police) == "exposure"
    assert value("police.contacts", "kind", " MISSING ", **police) == "missing"
    welfare = {"report_no": "W-1", **PERSON}
    assert value("welfare.reports", "kind", "脆弱家庭", **welfare) == "fragile_family"
    assert value("welfare.reports", "kind", "Child-Protection", **welfare) == "child_protection"
    assert value("welfare.reports", "level", "高", **welfare) == "high"
    assistance = {"assistance_no": "S-1", **PERSON}
    assert value("welfare.assistance", "status", "中低收入戶", **assistance) == "mid_low_income"
    assert value("welfare.assistance", "status", "mid low income", **assistance) == "mid_low_income"
    absence = {"absence_no": "A-1", "student_no": "S1", "school_code": "X"}
    assert value("school.absences", "kind", "曠課", **absence) == "unexcused"
    assert value("school.absences", "kind", "EXCUSED", **absence) == "excused"


def test_list_columns():
    row = validate_row(
        "welfare.reports",
        {
            "report_no": "W-1",
            **PERSON,
            "reason_codes": " neglect ; domestic_violence;;neglect；unemployment ",
        },
    )
    assert row.values["reason_codes"] == ["neglect", "domestic_violence", "unemployment"]
    sealing = validate_row("court.sealing", {"notice_no": "N-1", **PERSON, "contact_nos": "P-1;P-2"})
    assert sealing.values["contact_nos"] == ["P-1", "P-2"]
    all_contacts = validate_row("court.sealing", {"notice_no": "N-1", **PERSON, "contact_nos": ""})
    assert all_contacts.ok
    assert all_contacts.values["contact_nos"] == []  # blank means all of the person's contacts


def test_json_values_from_the_api_are_accepted():
    payload = json.loads(
        '{"school_code": "034501", "student_no": "S9", "grade": 7, "indigenous": true,'
        ' "new_immigrant_parent": null, "name": "林小雨", "birth_date": "2010-02-03", "sex": 2}'
    )
    row = validate_row("school.students", payload)
    assert row.ok, row.errors
    assert row.values["grade"] == 7
    assert row.values["indigenous"] is True
    assert row.values["new_immigrant_parent"] is None
    assert row.values["sex"] == "F"
    listed = validate_row("welfare.reports", {"report_no": "W-1", **PERSON, "reason_codes": ["a", " b "]})
    assert listed.values["reason_codes"] == ["a", "b"]


def test_dates_running_backwards_are_warnings_not_errors():
    row = validate_row(
        "school.students",
        {
            "school_code": "1",
            "student_no": "2",
            **PERSON,
            "enrolled_on": "112/08/30",
            "left_on": "112/01/01",
        },
    )
    assert row.ok
    assert row.warnings == ["left_on: 2023-01-01 is before enrolled_on 2023-08-30"]
    before_birth = validate_row(
        "police.contacts", {"contact_no": "P-1", **PERSON, "occurred_on": "2000-01-01"}
    )
    assert before_birth.ok
    assert before_birth.warnings == ["occurred_on: 2000-01-01 is before birth_date 2008-05-12"]


def test_validate_rows_read_from_a_cp950_file_end_to_end():
    text = (
        "report_no,name,birth_date,sex,kind,level,reason_codes,substantiated,reported_on,caseworker_memo\r\n"
        "W-1,李小華,097/05/12,女,fragile_family,medium,unemployment;debt,是,1130105,備註\r\n"
        "W-2,張大同,098/13/01,男,fragile_family,low,,否,1130106,\r\n"
    )
    encoding, header, rows = read_rows(text.encode("cp950"))
    assert encoding == "cp950"
    assert missing_columns("welfare.reports", header) == []
    first, second = (validate_row("welfare.reports", raw) for _, raw in rows)
    assert first.ok
    assert first.key == "W-1"
    assert first.values["name"] == "李小華"
    assert first.values["sex"] == "F"
    assert first.values["reason_codes"] == ["unemployment", "debt"]
    assert first.values["substantiated"] is True
    assert first.values["reported_on"] == D(2024, 1, 5)
    assert first.extra == {"caseworker_memo": "備註"}
    assert second.errors == ["birth_date: '098/13/01' is not a valid date (month 13 does not exist)"]


# --------------------------------------------------------------------------------------------------
# Knowledge and event dates
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("feed", "event_column", "knowledge_column"),
    [
        ("school.students", "enrolled_on", None),
        ("school.absences", "date", None),
        ("school.dropouts", "reported_on", "reported_on"),
        ("school.incidents", "occurred_on", "reported_on"),
        ("school.counselling", "started_on", None),
        ("police.contacts", "occurred_on", "recorded_on"),
        ("welfare.reports", "reported_on", "reported_on"),
        ("welfare.assistance", "valid_from", None),
        ("court.sealing", "effective_on", None),
    ],
)
def test_event_and_knowledge_date_columns(feed, event_column, knowledge_column):
    spec = get_feed(feed)
    assert spec.event_date_column == event_column
    assert spec.knowledge_date_column == knowledge_column
    values = {event_column: D(2023, 1, 2)}
    if knowledge_column:
        values[knowledge_column] = D(2023, 1, 5)
    assert event_date(feed, values) == (D(2023, 1, 5) if event_column == knowledge_column else D(2023, 1, 2))
    assert knowledge_date(feed, values) == (D(2023, 1, 5) if knowledge_column else None)


def test_knowledge_and_event_dates_from_a_validated_row():
    row = validate_row(
        "police.contacts",
        {"contact_no": "P-1", **PERSON, "occurred_on": "112/12/30", "recorded_on": "1130102"},
    )
    assert event_date("police.contacts", row.values) == D(2023, 12, 30)
    assert knowledge_date("police.contacts", row.values) == D(2024, 1, 2)
    # Raw cells work too; blank means unknown (the caller falls back to the import date).
    assert knowledge_date("police.contacts", {"recorded_on": "98/01/01"}) == D(2009, 1, 1)
    assert knowledge_date("police.contacts", {"recorded_on": ""}) is None
    assert knowledge_date("police.contacts", {}) is None
    with pytest.raises(ContractError, match="unknown feed"):
        knowledge_date("nope", {})


def test_read_rows_accepts_old_mac_line_endings():
    _, header, rows = read_rows("contact_no,name\r P-1,王小明\r".encode("cp950"))
    assert header == ["contact_no", "name"]
    assert rows == [(1, {"contact_no": " P-1", "name": "王小明"})]


def test_bom_followed_by_invalid_utf8_raises():
    with pytest.raises(ContractError, match="byte-order mark but is not valid UTF-8"):
        detect_encoding(b"\xef\xbb\xbfcontact_no\n\xa4\xa4\n")


def test_cached_parsing_keeps_json_types_apart():
    """Cells are parsed once per distinct value; 1 and True are equal in Python but not the same cell."""
    from integrations.feeds.contract import validate_row

    base = {
        "absence_no": "A1",
        "student_no": "S1",
        "school_code": "J01",
        "date": "2025-01-02",
        "kind": "excused",
    }
    first = validate_row("school.absences", {**base, "student_no": 1})
    second = validate_row("school.absences", {**base, "student_no": True})
    assert first.values["student_no"] == "1"
    assert second.values["student_no"] == "true"


def test_cached_list_values_are_not_shared_between_rows():
    from integrations.feeds.contract import validate_row

    row = {"report_no": "R1", "reported_on": "2025-01-02", "kind": "fragile_family", "reason_codes": "a;b",
           "name": "測試甲", "birth_date": "2012-01-01"}  # fmt: skip
    first = validate_row("welfare.reports", row)
    first.values["reason_codes"].append("changed")
    assert validate_row("welfare.reports", row).values["reason_codes"] == ["a", "b"]


def test_a_police_contact_without_kind_is_not_a_contract_error_blank_is_unknown():
    """R4: FEEDS.md marks only the record key, birth date and name required; a contact without ``kind``
    is accepted with the kind unknown (linkage makes no timeline event of it, tests/.../test_sealing.py)."""
    for cells in ({}, {"kind": ""}, {"kind": "  "}):
        row = validate_row("police.contacts", {"contact_no": "P-1", **PERSON, **cells})
        assert not row.errors and row.values.get("kind") is None
    # A kind outside the contract's list is still an error (quarantined with its reason).
    assert validate_row("police.contacts", {"contact_no": "P-1", **PERSON, "kind": "jaywalking"}).errors
