"""National IDs are never kept whole in the access log, however they were typed.

Every text the log keeps (path, query, purpose, user agent, username, and every value of ``detail`` however
deep) passes through ``casework.identifiers.redact_national_ids``, which folds full-width letters and digits
(NFKC), sees through spaces, hyphens and percent-encoding, and masks what it finds (``H1******89``). A GET
``?q=`` carrying such a variant searches nothing, like a plain national ID.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from casework.access.audit import Actor, record, record_list
from casework.identifiers import looks_like_national_id, normalise_identifier, redact_national_ids
from casework.models import AuditAction, AuditEntry
from integrations.feeds.contract import national_id_checksum_ok
from tests.fixtures import PASSWORD

WHOLE = "H123456789"
MASKED = "H1******89"
VARIANTS = [
    "H123456789",
    "h123456789",
    "Ｈ123456789",  # full-width letter (a Chinese IME)
    "ｈ１２３４５６７８９",  # full-width letter and digits
    "H 123456789",
    "H\u3000123456789",  # ideographic space
    "H-123456789",
    "H-123-456-789",
    "H－123－456－789",  # full-width hyphens
    "H.123.456.789",
]


def _kept(line: AuditEntry) -> str:
    """Everything the line keeps, as one text."""
    return json.dumps(
        [line.username, line.path, line.user_agent, line.purpose, line.object_id, line.detail],
        ensure_ascii=False,
    )


def _digits_of_the_id_kept(text: str) -> bool:
    return "1234567" in normalise_identifier(text) or "123456789" in normalise_identifier(text)


class TestTheNormaliser:
    @pytest.mark.parametrize("typed", VARIANTS)
    def test_every_way_of_typing_an_id_is_recognised_and_masked(self, typed):
        assert looks_like_national_id(typed)
        assert normalise_identifier(typed) == WHOLE
        masked = redact_national_ids(f"/youth/?q={typed}&page=2")
        assert MASKED in masked and not _digits_of_the_id_kept(masked)

    @pytest.mark.parametrize(
        "encoded",
        ["%EF%BC%A8123456789", "H%20123456789", "H+123456789", "H%2D123%2D456%2D789", "%2548123456789"],
    )
    def test_percent_encoded_ids_in_a_path_are_masked(self, encoded):
        masked = redact_national_ids(f"/youth/?q={encoded}")
        assert MASKED in masked and not _digits_of_the_id_kept(masked)

    @pytest.mark.parametrize(
        "text",
        ["/youth/Y22EWGQXJFK/", "/youth/?q=%E7%8E%8B", "王小明", "0912345678", "H12345678", "H1234567890"],
    )
    def test_what_is_not_a_national_id_is_kept_as_it_was(self, text):
        """Youth IDs, names, a phone number, a partial ID and a longer number are left alone."""
        assert redact_national_ids(text) == text
        assert not looks_like_national_id(text) or text == WHOLE


class TestTheLogKeepsNoWholeId:
    def test_every_text_of_a_line_is_masked_however_deep(self, world):
        actor = Actor(
            user=None,
            user_agent="agent Ｈ123456789",
            path="/api/youth/H-123-456-789/",
            purpose="court request about H 123456789",
        )
        line = record(
            actor,
            AuditAction.DENIED,
            detail={"path": "/api/youth/H123456789/", "nested": {"ids": ["ｈ１２３４５６７８９", 5]}},
            username="H123456789",
        )
        line.refresh_from_db()
        assert not _digits_of_the_id_kept(_kept(line))
        assert line.detail["nested"]["ids"] == [MASKED, 5]
        listed = record_list(actor, "youth", count=0, query={"q": "H－123－456－789", "n": ["H 123456789"]})
        listed.refresh_from_db()
        assert listed.detail["query"] == {"q": MASKED, "n": [MASKED]}
        assert not _digits_of_the_id_kept(_kept(listed))

    @pytest.mark.parametrize("name", ["api:youth-detail", "api:youth-timeline"])
    def test_an_api_404_keeps_the_path_masked_in_its_detail_too(self, client, world, name):
        client.login(username="officer", password=PASSWORD)
        response = client.get(reverse(name, args=[WHOLE]))
        assert response.status_code == 404
        line = AuditEntry.objects.filter(action=AuditAction.DENIED).latest("id")
        assert line.path.startswith("/api/youth/H1******89/")
        assert line.detail["path"].startswith("/api/youth/H1******89/")
        assert not _digits_of_the_id_kept(_kept(line))

    def test_an_identity_register_404_keeps_the_id_masked(self, client, world):
        client.login(username="steward", password=PASSWORD)
        response = client.get(reverse("api:identity-detail", args=[WHOLE]))
        assert response.status_code == 404
        line = AuditEntry.objects.filter(action=AuditAction.DENIED).latest("id")
        assert not _digits_of_the_id_kept(_kept(line))
        assert MASKED in line.detail["path"]

    @pytest.mark.parametrize("typed", VARIANTS)
    def test_a_get_search_with_any_variant_searches_nothing_and_is_kept_masked(self, client, world, typed):
        client.login(username="guidance", password=PASSWORD)
        response = client.get(reverse("api:youth-list"), {"q": typed})
        assert response.status_code == 200
        assert response.json()["count"] == 0
        line = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="youth").latest("id")
        assert line.detail["query"]["q"] == MASKED
        assert not _digits_of_the_id_kept(_kept(line))

    def test_a_name_is_still_searched_and_kept_as_typed(self, client, world):
        """The allowed side: an ordinary search works and the log keeps it whole."""
        client.login(username="guidance", password=PASSWORD)
        response = client.get(reverse("api:youth-list"), {"q": "甲"})
        assert response.json()["count"] == 1
        line = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="youth").latest("id")
        assert line.detail["query"] == {"q": "甲"}

    def test_the_youth_page_refuses_a_full_width_id_in_the_address(self, client, world):
        client.login(username="guidance", password=PASSWORD)
        response = client.get(reverse("youth-list"), {"q": "Ｈ123456789"})
        assert response.status_code == 200
        line = AuditEntry.objects.filter(action=AuditAction.LIST).latest("id")
        assert not _digits_of_the_id_kept(_kept(line))
        assert world.y.alert.name not in response.content.decode()

    def test_the_national_id_form_accepts_a_spaced_id(self, client, world):
        """POST search (the sanctioned way) folds the same way, so a spaced ID typed there still finds."""
        client.login(username="guidance", password=PASSWORD)
        response = client.post(
            reverse("api:youth-search"), {"national_id": "Ｈ 123 456 789"}, content_type="application/json"
        )
        assert response.status_code == 200


# Insider review F4: what a copy from a web page or a word processor carries between the characters of an ID
# (invisible format characters, Unicode category Cf) and ordinary punctuation typed as a separator.
INVISIBLE = {
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "byte-order mark": "\ufeff",
    "soft hyphen": "\u00ad",
}
PUNCTUATION = ["/", ",", "*", ":", "(", "'", "/ ", "),("]


def _spread(separator: str) -> str:
    return f"H{separator}123{separator}456{separator}789"


SPREAD = [pytest.param(_spread(c), id=name) for name, c in INVISIBLE.items()] + [
    pytest.param(_spread(c), id=f"punctuation {c!r}") for c in PUNCTUATION
]


class TestInvisibleCharactersAndPunctuation:
    @pytest.mark.parametrize("typed", SPREAD)
    def test_an_id_spread_by_them_is_recognised_and_masked(self, typed):
        assert normalise_identifier(typed) == WHOLE and looks_like_national_id(typed)
        masked = redact_national_ids(f"/youth/?q={typed}&page=2")
        assert MASKED in masked and not _digits_of_the_id_kept(masked)
        assert masked.endswith("&page=2")  # what follows the ID is kept

    @pytest.mark.parametrize("name", list(INVISIBLE))
    def test_an_invisible_character_anywhere_in_the_id_is_seen_through(self, name):
        for at in range(1, 10):
            typed = WHOLE[:at] + INVISIBLE[name] + WHOLE[at:]
            assert MASKED in redact_national_ids(f"note {typed} end"), at

    @pytest.mark.parametrize("typed", SPREAD)
    def test_percent_encoded_in_a_path_they_are_masked_too(self, typed):
        from urllib.parse import quote

        masked = redact_national_ids(f"/youth/?q={quote(typed)}")
        assert MASKED in masked and not _digits_of_the_id_kept(masked)

    @pytest.mark.parametrize("typed", SPREAD)
    def test_a_get_search_with_them_searches_nothing_and_the_log_keeps_it_masked(self, client, world, typed):
        client.login(username="social", password=PASSWORD)
        response = client.get(reverse("youth-list"), {"q": typed})
        assert response.status_code == 200
        line = AuditEntry.objects.filter(action=AuditAction.LIST, object_type="youth").latest("id")
        assert line.detail["query"]["q"] == MASKED
        assert MASKED in line.path or "H1%2A%2A%2A%2A%2A%2A89" in line.path
        assert not _digits_of_the_id_kept(_kept(line))

    @pytest.mark.parametrize("typed", SPREAD)
    def test_the_search_box_asks_the_browser_not_to_send_them(self, client, world, typed):
        import re

        client.login(username="social", password=PASSWORD)
        html = client.get(reverse("youth-list")).content.decode()
        pattern = re.search(r'name="q"[^>]*pattern="([^"]+)"', html).group(1)
        pattern = pattern.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&")
        assert re.fullmatch(pattern, typed) is None
        for allowed in ("王小明", "O'Brien", "Y22EWGQXJFK", "王 H12"):  # names, youth IDs, short texts
            assert re.fullmatch(pattern, allowed) is not None, allowed

    @pytest.mark.parametrize(
        "text",
        [
            "王小明 (H)",
            "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
            "/cases/12/?page=3&status=open",
            "A12345678",  # eight digits: not an ID
            "12H123456789",  # digits before a letter and nine digits that fail the checksum: a longer number
        ],
    )
    def test_what_is_not_an_id_is_kept_as_it_was(self, text):
        assert redact_national_ids(text) == text


class TestAnIdWithMoreDigitsOrOtherScripts:
    """Insider review 2, N2: an ID followed by more digits (a sequence number, a slip of the finger) still
    carries the whole ID, and so does an ID typed in another script's digits."""

    # A valid national ID (its checksum passes): with more digits after it, only such a prefix is masked.
    VALID = next(f"A12345678{d}" for d in range(10) if national_id_checksum_ok(f"A12345678{d}"))

    @pytest.mark.parametrize(
        "typed",
        [
            "{v}0",
            "{v}-07",
            "/youth/{v}42/",
            "/youth/?q={v}3",
            "{v}/0",  # a separator before the extra digit
            "0{v}",  # digits before the letter (insider review 3, R3)
            "20261207{v}001_x.csv",
            "purpose={encoded}0",  # percent-encoded, with one more digit
        ],
    )
    def test_a_valid_id_followed_by_more_digits_is_masked(self, typed):
        text = typed.format(v=self.VALID, encoded="".join(f"%{ord(c):02X}" for c in self.VALID))
        masked = redact_national_ids(text)
        assert self.VALID[1:] not in normalise_identifier(masked) and "******" in masked, masked

    @pytest.mark.parametrize("typed", ["H١٢٣٤٥٦٧٨٩", "H१२३४५६७८९", "Ｈ１２３４５６７８９"])
    def test_an_id_in_another_scripts_digits_is_masked(self, typed):
        assert redact_national_ids(f"q={typed}") == f"q={MASKED}"

    def test_a_longer_number_whose_start_is_no_valid_id_is_kept(self):
        # The refused side: H123456789 fails the checksum, so H1234567890 is a longer number, kept.
        assert redact_national_ids("ref H1234567890") == "ref H1234567890"

    def test_the_search_box_refuses_an_id_with_more_digits_and_keeps_a_short_number(self):
        import re

        from casework.filters import NOT_A_NATIONAL_ID

        assert re.fullmatch(NOT_A_NATIONAL_ID, f"{self.VALID}0") is None
        assert re.fullmatch(NOT_A_NATIONAL_ID, "A1234567") is not None

    def test_a_get_search_for_an_id_with_one_more_digit_is_logged_masked(self, client, world):
        client.force_login(world.u.social)
        client.get(reverse("youth-list"), {"q": f"{self.VALID}0"})
        entry = AuditEntry.objects.filter(action=AuditAction.LIST).latest("pk")
        kept = json.dumps(entry.detail, ensure_ascii=False) + entry.path
        assert self.VALID not in kept and self.VALID[1:] not in kept
