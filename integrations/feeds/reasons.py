"""Why a row was quarantined, in the reader's language.

The contract and the importer write each reason as one English sentence of a fixed shape (``"birth_date:
'098/13/40' is not a valid date (month 13 does not exist)"``), and that sentence is what is stored, exported
and returned by the API: it is stable, searchable, and the same whoever imported the file. A person reads it
through :func:`readable`, which recognises the shape and says it again with ``gettext`` in the active language
(zh-Hant on the city's pages), keeping the column names and values as they were. A sentence of a shape not
listed here is shown as it is, never hidden; ``tests/integrations/test_quarantine_reasons.py`` makes every
shape the importer writes one of these.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _

Words = Callable[[dict[str, str]], str]


def _range(text: str) -> str:
    found = re.fullmatch(r"must be between (?P<low>\S+) and (?P<high>\S+)", text)
    if found:
        return _("between %(low)s and %(high)s") % found.groupdict()
    found = re.fullmatch(r"must be at least (?P<low>\S+)", text)
    if found:
        return _("at least %(low)s") % found.groupdict()
    found = re.fullmatch(r"must be at most (?P<high>\S+)", text)
    if found:
        return _("at most %(high)s") % found.groupdict()
    return text


_DATE = r"(?P<col>[\w/]+): (?P<value>.+) is not a valid date "

# (pattern, words): the first pattern that matches the whole sentence says it.
_SHAPES: list[tuple[re.Pattern[str], Words]] = [
    (
        re.compile(r"row has more fields than the header \(surplus: (?P<surplus>.*)\)"),
        lambda m: _("the row has more fields than the header (surplus: %(surplus)s)") % m,
    ),
    (
        re.compile(r"line repeats the file's header \(two files joined\?\); it is not a record"),
        lambda m: _("this line repeats the file's header (two files joined?); it is not a record"),
    ),
    (
        re.compile(r"sealed by a court \(Art\. 83-1\): content erased"),
        lambda m: _("sealed by a court (Art. 83-1): content erased"),
    ),
    (
        re.compile(r"(?P<col>[\w/ ]+): required column is missing from the file's header"),
        lambda m: _("%(col)s: this required column is missing from the file's header") % m,
    ),
    (
        re.compile(r"(?P<col>[\w/]+): required value is missing"),
        lambda m: _("%(col)s: a required value is blank") % m,
    ),
    (
        re.compile(r"(?P<col>[\w/]+): required column is missing"),
        lambda m: _("%(col)s: a required column is missing") % m,
    ),
    (
        re.compile(r"name: required unless name_romanized is given, and both are blank"),
        lambda m: _("name: required unless name_romanized is given, and both are blank"),
    ),
    (
        re.compile(r"(?P<col>[\w/]+): expected one value, got a JSON (?P<kind>\w+)"),
        lambda m: _("%(col)s: one value was expected, but a JSON %(kind)s was sent") % m,
    ),
    (
        re.compile(r"(?P<col>[\w/]+): contains a NUL character or invalid Unicode, replaced by U\+FFFD"),
        lambda m: _("%(col)s: contains a NUL character or invalid Unicode (replaced by U+FFFD)") % m,
    ),
    (
        re.compile(
            r"(?P<col>[\w/]+): record key is (?P<n>\d+) characters long \(at most (?P<max>\d+) are accepted\)"
        ),
        lambda m: _("%(col)s: the record key is %(n)s characters long (at most %(max)s are accepted)") % m,
    ),
    (
        re.compile(
            r"(?P<col>[\w/]+): record key (?P<key>.+) already used by row (?P<row>\d+) of this file with "
            r"different content"
        ),
        lambda m: (
            _("%(col)s: record key %(key)s is already used by row %(row)s of this file, with other content")
            % m
        ),
    ),
    (
        re.compile(r"student_no: student (?P<student>.+) is not on any school roster \(school\.students\)"),
        lambda m: _("student_no: student %(student)s is on no school roster (school.students)") % m,
    ),
    (
        re.compile(_DATE + r"\(ROC year must be at least 1\)"),
        lambda m: _("%(col)s: %(value)s is not a valid date (the ROC year must be at least 1)") % m,
    ),
    (
        re.compile(
            _DATE + r"\(year (?P<year>-?\d+) is outside the plausible range (?P<low>\d+)-(?P<high>\d+)\)"
        ),
        lambda m: (
            _("%(col)s: %(value)s is not a valid date (year %(year)s is outside %(low)s to %(high)s)") % m
        ),
    ),
    (
        re.compile(_DATE + r"\(month (?P<month>\d+) does not exist\)"),
        lambda m: _("%(col)s: %(value)s is not a valid date (there is no month %(month)s)") % m,
    ),
    (
        re.compile(_DATE + r"\(day (?P<day>\d+) does not exist in (?P<month>\d+-\d+)\)"),
        lambda m: _("%(col)s: %(value)s is not a valid date (%(month)s has no day %(day)s)") % m,
    ),
    (
        re.compile(_DATE + r"\(expected .+\)"),
        lambda m: (
            _(
                "%(col)s: %(value)s is not a valid date (write YYYY-MM-DD, or the ROC year as YYY/MM/DD, YY/MM/DD, "
                "YYYMMDD or YY.MM.DD)"
            )
            % m
        ),
    ),
    (
        re.compile(r"(?P<col>[\w/]+): (?P<value>.+) is not a valid boolean \(expected .+\)"),
        lambda m: _("%(col)s: %(value)s is not yes or no (write Y/N, 1/0, 是/否 or true/false)") % m,
    ),
    (
        re.compile(r"(?P<col>[\w/]+): (?P<value>.+) is not a valid sex \(expected .+\)"),
        lambda m: _("%(col)s: %(value)s is not a sex the contract knows (write M/F, 男/女 or 1/2)") % m,
    ),
    (
        re.compile(r"(?P<col>[\w/]+): (?P<value>.+) is not a whole number"),
        lambda m: _("%(col)s: %(value)s is not a whole number") % m,
    ),
    (
        re.compile(r"(?P<col>[\w/]+): (?P<value>.+) is out of range \((?P<range>.+)\)"),
        lambda m: _("%(col)s: %(value)s is out of range (%(range)s)") % {**m, "range": _range(m["range"])},
    ),
    (
        re.compile(r"(?P<col>[\w/]+): (?P<value>.+) is not one of (?P<choices>.+)"),
        lambda m: _("%(col)s: %(value)s is not one of the allowed codes (%(choices)s)") % m,
    ),
    (
        re.compile(
            r"(?P<later>\w+): (?P<second>\d{4}-\d\d-\d\d) is before (?P<earlier>\w+) (?P<first>\d{4}-\d\d-\d\d)"
        ),
        lambda m: _("%(later)s: %(second)s is before %(earlier)s %(first)s") % m,
    ),
    (
        re.compile(r"a court's sealing notice is not corrected here: ask the court to send it again"),
        lambda m: _("a court's sealing notice is not corrected here: ask the court to send it again"),
    ),
    (
        re.compile(
            r"a correction cannot take the key of another stored record; send a new row for that record"
        ),
        lambda m: _(
            "a correction cannot take the key of another stored record; send a new row for that record"
        ),
    ),
    (
        re.compile(r"this row has already been resubmitted"),
        lambda m: _("this row has already been resubmitted"),
    ),
    (
        re.compile(
            r"(?P<col>[\w/ ]+): breaks the contract \(the value is not kept: the notice names a person\)"
        ),
        lambda m: _("%(col)s: breaks the contract (the value is not kept: the notice names a person)") % m,
    ),
    (
        re.compile(
            r"names no national ID, and children with different national IDs share its name and birth date: "
            r"nothing was sealed by name alone; ask the court to send it again with the national ID"
        ),
        lambda m: _(
            "names no national ID, and children with different national IDs share its name and birth date: "
            "nothing was sealed by name alone; ask the court to send it again with the national ID"
        ),
    ),
    (
        re.compile(
            r"applied at once on the reading that protects the child \(what cannot be read is not used; a day it "
            r"takes effect that cannot be read, or that falls after the day the notice arrived, is taken as that "
            r"day\); ask the court to send it again"
        ),
        lambda m: _(
            "applied at once on the reading that protects the child (what cannot be read is not used; a day it "
            "takes effect that cannot be read, or that falls after the day the notice arrived, is taken as that "
            "day); ask the court to send it again"
        ),
    ),
    # Why a whole file or batch stopped (the batches page and the API's ``error``).
    (
        re.compile(r"the import stopped with an error; nothing was stored; send the file again"),
        lambda m: _("the import stopped with an error; nothing was stored; send the file again"),
    ),
    (
        re.compile(
            r"the import did not finish within the worker's time limit; nothing was stored; send the file again"
        ),
        lambda m: _(
            "the import did not finish within the worker's time limit; nothing was stored; send the file again"
        ),
    ),
    (re.compile(r"file has no header row"), lambda m: _("the file has no header row")),
    (
        re.compile(r"file contains NUL bytes; it is not a UTF-8 or CP950 \(Big5\) text file"),
        lambda m: _("the file contains NUL bytes: it is not a UTF-8 or CP950 (Big5) text file"),
    ),
    (
        re.compile(r"file is encoded as UTF-16; the feed contract accepts UTF-8 or CP950 \(Big5\)"),
        lambda m: _("the file is encoded as UTF-16; the feed contract accepts UTF-8 or CP950 (Big5)"),
    ),
    (
        re.compile(
            r"file is neither valid UTF-8 nor valid CP950 \(Big5\): undecodable byte at offset (?P<at>\d+)"
        ),
        lambda m: _("the file is neither UTF-8 nor CP950 (Big5): a byte at offset %(at)s cannot be read") % m,
    ),
    (
        re.compile(r"file is not valid CSV near line (?P<line>\d+): .*"),
        lambda m: _("the file is not valid CSV near line %(line)s") % m,
    ),
    (
        re.compile(
            r"the first line names none of (?P<feed>[\w.]+)'s columns \(expected a header such as (?P<columns>[^)]*)\): "
            r"the header line seems to be missing, so nothing was imported"
        ),
        lambda m: (
            _(
                "the first line names none of %(feed)s's columns (a header such as %(columns)s was expected): the "
                "header line seems to be missing, so nothing was imported"
            )
            % m
        ),
    ),
]


def readable(reason: str) -> str:
    """The reason in the active language; a sentence of an unknown shape as it is."""
    text = str(reason)
    for pattern, words in _SHAPES:
        found = pattern.fullmatch(text)
        if found:
            return words(found.groupdict())
    return text


def is_known(reason: str) -> bool:
    """Whether :func:`readable` has words for this sentence."""
    return any(pattern.fullmatch(str(reason)) for pattern, _words in _SHAPES)


# The stages an import goes through, as the batches page names them while a worker has the batch.
def stage_label(stage: str) -> str:
    labels = {
        "queued": _("waiting for a worker"),
        "running": _("starting"),
        "reading": _("reading the file"),
        "validating": _("checking the rows"),
        "storing": _("storing the records"),
        "timeline": _("writing the timelines"),
        "linking": _("linking the records"),
        "sealing": _("applying sealing notices"),
        "done": _("done"),
        "failed": _("stopped"),
    }
    return labels.get(stage, stage)
