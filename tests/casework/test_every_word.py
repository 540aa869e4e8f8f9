"""Every word a user reads is theirs: each page, as each role that may open it, in zh-Hant shows no raw code
(``deviant_followup``) and no English sentence (issue 17). The pages and roles come from the permission
matrix, so a new page is read here as soon as its access rule is written down."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.casework.test_permission_matrix import MATRIX, matrix_world  # noqa: F401  (the fixture)
from tests.fixtures import PASSWORD

# Words a zh-Hant page may show as they are: names of things that are not translated (feeds and their
# columns, which the bureaus' files use; the programme's own acronyms), units and formats.
KEPT_AS_THEY_ARE = re.compile(
    r"\b(?:police\.contacts|welfare\.\w+|school\.\w+|court\.sealing|[a-z]+_no|birth_date|national_id|"
    r"name_romanized|school_code|student_no|effective_on|contact_nos|occurred_on|recorded_on|risk-v\d+|"
    r"YYYY-MM-DD|YYY/MM/DD|ROC|TOTP|CSV|XLSX|PDF|API|ID|SHAP|AUC|ROC AUC|ECE|UTF-8|CP950|Big5)\b"
)
# Free text the test world's people typed (the permission matrix's fixtures): their words, not the platform's.
TYPED_BY_PEOPLE = (
    "Report received from a school tonight",
    "The police plan the school visit with the committee.",
    "The guardian says the youth was at home that night.",
    "Family support",
    # The test world's one alert that names no rule (a reason from before rules were data, shown by its code
    # where no rule of that key exists to name it).
    "offence_court_referral",
)
RAW_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
# Chinese typography: a colon after Chinese is the full-width ：, not ":" (學校：, not 學校:).
HALF_WIDTH_COLON = re.compile(r"[\u4e00-\u9fff\u3001-\u303f\uff08\uff09] ?:(?!//)")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,'-]+[A-Za-z][a-z]*){3,}")


class _Text(HTMLParser):
    """The text a person reads: element text, and the labels a screen reader says (aria-label, title,
    placeholder, alt, value of buttons), not scripts, styles or other attributes."""

    # Scripts and styles are not read; <code>, <kbd> and <samp> hold identifiers a person types or quotes
    # (a rule's key, a command), <cite> the title of a work: those stay as they are.
    SKIP = {"script", "style", "code", "kbd", "samp", "cite"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        attrs = dict(attrs)
        for name in ("aria-label", "title", "placeholder", "alt"):
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def readable_text(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.parts


def problems(html: str, names: set[str] = frozenset()) -> list[str]:
    """Raw codes, English sentences and half-width colons after Chinese in the page's text; ``names`` (usernames: data, not words) are left
    out."""
    found = []
    for part in readable_text(html):
        text = KEPT_AS_THEY_ARE.sub(" ", part)
        for name in (*names, *TYPED_BY_PEOPLE):
            text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", " ", text)
        found += [f"raw code {m!r} in {part[:80]!r}" for m in RAW_CODE.findall(text)]
        found += [f"English {m!r} in {part[:80]!r}" for m in ENGLISH_SENTENCE.findall(text)]
        found += [f"half-width colon {m!r} in {part[:80]!r}" for m in HALF_WIDTH_COLON.findall(part)]
    return found


PAGES = [
    row for row in MATRIX if row.method == "get" and not row.name.startswith(("api", "integrations-api"))
]


@pytest.mark.django_db
def test_every_page_reads_in_zh_hant_for_every_role_that_opens_it(client, matrix_world):  # noqa: F811
    from casework.models import User

    w = matrix_world
    usernames = set(User.objects.values_list("username", flat=True))
    found: dict[str, list[str]] = {}
    for row in PAGES:
        for role, status in row.expect.items():
            if status != 200:
                continue
            client.logout()
            assert client.login(username=role, password=PASSWORD)
            url = reverse(row.name, args=row.args(w) if row.args else None)
            response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hant")
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            issues = problems(response.content.decode(), usernames)
            if issues:
                found[f"{url} as {role}"] = sorted(set(issues))
    assert not found, "\n".join(f"{page}:\n  " + "\n  ".join(issues) for page, issues in found.items())
