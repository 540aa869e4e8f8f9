"""What a court's sealing notice reaches by exact identity, read without linkage: the contact keys it names,
and, for a person-wide notice (blank ``contact_nos``), the contacts and quarantined rows that name its person
by a valid national ID, or by the exact name and birth date when no ID contradicts it and no second child shares
them (``PersonWideNotices``). ``sealing`` applies what this finds; the importer asks it before storing a row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Q

from casework.models import Youth
from integrations.feeds import contract
from integrations.models import (
    LinkageKey,
    QuarantinedRow,
    QuarantineStatus,
    RecordLink,
    SealingAction,
    SourceRecord,
)

NOTICE_FEED = "court.sealing"
CONTACT_FEED = "police.contacts"


def _day(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


# What a clerk writes between the numbers of a list besides the contract's ``;`` (the Chinese enumeration comma
# 、, commas, slashes, spaces, line breaks): a notice whose list used one of them sealed nothing at all
# (insider review 16, N5). Each entry counts as written and as split on these.
_LIST_SEPARATORS = re.compile(r"[、,，/／\s]+")


def named_keys(values: Mapping) -> list[str]:
    """The contact keys a notice names (blank: it names its person instead)."""
    named = values.get("contact_nos") or []
    if isinstance(named, str):
        named = named.split(";")
    keys = set()
    for entry in named:
        entry = str(entry).strip()
        if entry:
            keys.add(entry)
            keys |= {part for part in _LIST_SEPARATORS.split(entry) if part}
    return sorted(keys)


# Separators a raw row's cells are split into words by (a name or an ID may sit anywhere in a malformed row).
_TOKEN = re.compile(r"[\s,;\"'|/\\]+")


# ---------------------------------------------------------------------------------------------------------
# At import: rows a person-wide notice reaches by exact identity, refused before they are stored
# ---------------------------------------------------------------------------------------------------------


_NAME_SEPARATORS = re.compile(r"[\s\u00b7]+")


def _name_keys(values: Mapping) -> set[str]:
    """The forms in which a notice and a contact are the same name: the Han name without separators (an
    indigenous name is written with its middle dot, with another dot, or with none: insider review 9, F4), and
    the romanised name's words in order of the alphabet, letters only."""
    keys = set()
    name = values.get("name")
    if isinstance(name, str) and name.strip():
        han = _NAME_SEPARATORS.sub("", contract.normalise_name(name))
        if han:
            keys.add("han:" + han)
    romanised = values.get("name_romanized")
    if isinstance(romanised, str) and romanised.strip():
        ascii_form = unicodedata.normalize("NFKD", romanised).encode("ascii", "ignore").decode().lower()
        words = sorted(w for w in re.split(r"[^a-z]+", ascii_form) if w)
        if words:
            keys.add("rom:" + " ".join(words))
    return keys


NOTICE_CONTESTED = (
    "names no national ID, and children with different national IDs share its name and birth date: nothing "
    "was sealed by name alone; ask the court to send it again with the national ID"
)


def id_digest(nid: str) -> str:
    """A valid national ID as ``SealingAction.reached_ids`` keeps it: enough to tell one child from another,
    without writing the ID of a sealed child into the fact of sealing."""
    return hashlib.sha256(f"youthrisk-sealing:{nid}".encode()).hexdigest()[:32]


def without_id(values: Mapping) -> bool:
    """Whether a notice names no national ID at all (blank; an ID that fails its checksum still names one)."""
    return not _id_as_written(values.get("national_id"))


def notice_state(keys: Iterable[str]) -> dict[str, tuple[bool, set[str]]]:
    """notice key -> (contested, digests of the IDs it has reached), from its ``SealingAction``."""
    return {
        key: (contested, set(reached or []))
        for key, contested, reached in SealingAction.objects.filter(notice_key__in=list(keys)).values_list(
            "notice_key", "contested", "reached_ids"
        )
    }


def youth_id_digests(youth_ids: Iterable[int]) -> dict[int, set[str]]:
    """youth -> digests of the valid national IDs its linked records (notices apart) carry."""
    youth_ids = list(youth_ids)
    if not youth_ids:
        return {}
    links = dict(
        RecordLink.objects.filter(youth_id__in=youth_ids)
        .exclude(feed=NOTICE_FEED)
        .exclude(source_record_id=None)
        .values_list("source_record_id", "youth_id")
    )
    found: dict[int, set[str]] = defaultdict(set)
    for record_id, nid in LinkageKey.objects.filter(
        source_record_id__in=list(links), nid_valid__isnull=False
    ).values_list("source_record_id", "nid_valid"):
        found[links[record_id]].add(id_digest(nid))
    return found


def may_reach_youth(state: tuple[bool, set[str]] | None, digests: set[str]) -> bool:
    """Whether a notice without an ID may seal what linkage joined to a youth whose records carry these ID
    digests: not once contested; not a youth under another ID than the child it reached before; not a youth
    under two IDs. A youth without any valid ID is linkage's judgement."""
    contested, reached = state or (False, set())
    if contested:
        return False
    if not digests:
        return True
    return digests <= reached if reached else len(digests) == 1


def remember_reached(reached: Mapping[str, set[str]]) -> None:
    """Add ID digests to what notices without an ID have reached (their ``SealingAction``)."""
    for key, digests in reached.items():
        if not digests:
            continue
        action, _ = SealingAction.objects.get_or_create(notice_key=key, defaults={"pending": True})
        merged = sorted(set(action.reached_ids or []) | set(digests))
        if merged != sorted(action.reached_ids or []):
            action.reached_ids = merged
            action.save(update_fields=["reached_ids"])


def hold_contested(keys: Iterable[str]) -> list[QuarantinedRow]:
    """Mark these notices contested for good and keep a row for each in the quarantine, without the person,
    asking for the court's notice with the ID (once: an open row already asking is enough). Returns the rows
    made."""
    made = []
    for key in sorted(set(keys)):
        action, _ = SealingAction.objects.get_or_create(notice_key=key, defaults={"pending": True})
        if not action.contested:
            action.contested = True
            action.save(update_fields=["contested"])
        # Read in Python: SQLite (the demo's database) has no JSON containment lookup (insider review 16, N1).
        waiting = any(
            NOTICE_CONTESTED in (reasons or [])
            for reasons in QuarantinedRow.objects.filter(
                feed=NOTICE_FEED, record_key=key, status=QuarantineStatus.OPEN
            ).values_list("reasons", flat=True)
        )
        notice = SourceRecord.objects.filter(feed=NOTICE_FEED, record_key=key, is_current=True).first()
        if notice is None or waiting:
            continue
        raw = notice.raw if isinstance(notice.raw, Mapping) else {}
        made.append(
            QuarantinedRow.objects.create(
                batch_id=notice.batch_id,
                feed=NOTICE_FEED,
                row_number=notice.row_number,
                record_key=key,
                raw={k: v for k, v in raw.items() if k in ("notice_no", "court_case_no", "effective_on")},
                reasons=[NOTICE_CONTESTED],
            )
        )
    return made


class PersonWideNotices:
    """The person-wide notices (blank ``contact_nos``) and the people they name, for finding their contacts by
    exact identity: a valid national ID, or an exact name and birth date with no contradicting national ID,
    for contacts that happened on or before the notice's ``effective_on`` (or whose date is blank or cannot be
    read: nothing shows they came after). Fuzzier matches are linkage's.

    The identities a notice reaches by are its own, and, once linkage has joined the notice to a youth, those
    of every record linked to that youth: a row that linkage cannot join (a quarantined row) or has not joined
    yet is the person's when it names one of them exactly.
    """

    def __init__(
        self,
        notices: Iterable[tuple[str, Mapping, str]],
        linked: Iterable[tuple[str, Mapping, str]] = (),
        state: Mapping[str, tuple[bool, set[str]]] | None = None,
    ):
        self.by_nid: dict[str, list[tuple[str, dt.date | None]]] = defaultdict(list)
        self.by_name_dob: dict[tuple[str, str], list[tuple[str, dt.date | None, str]]] = defaultdict(list)
        # The valid national IDs known under each name and birth date a notice without an ID reaches by: two
        # of them are two children, and such a notice cannot say which one the court meant (insider review 14,
        # F2). Filled by ``learn`` (the store) and ``learn_rows`` (a file being imported).
        self.known_ids: dict[tuple[str, str], set[str]] = defaultdict(set)
        # notice key -> (contested, digests reached), for notices without an ID (``notice_state``), and the
        # digests reached since, for ``remember``.
        self.state: dict[str, tuple[bool, set[str]]] = dict(state or {})
        self.reached_now: dict[str, set[str]] = defaultdict(set)
        effective: dict[str, dt.date | None] = {}
        for key, values, nid_status in notices:
            if named_keys(values):
                continue
            effective[key] = _day(values.get("effective_on"))
            self._add(key, effective[key], values, nid_status)
        for key, values, nid_status in linked:
            if key in effective:
                self._add(key, effective[key], values, nid_status)

    def _add(self, key: str, effective_on: dt.date | None, values: Mapping, nid_status: str) -> None:
        nid = (values.get("national_id") or "") if nid_status == "valid" else ""
        if nid and (key, effective_on) not in self.by_nid[nid]:
            self.by_nid[nid].append((key, effective_on))
        if values.get("birth_date"):
            # An ID that fails its checksum still says whom the court meant: a contact under another valid ID is
            # another child, not this notice's person by name and birth date (insider review 14, F1).
            written = nid or _id_as_written(values.get("national_id"))
            entry = (key, effective_on, written)
            names = _name_keys(values)
            # A notice that gives the Han name reaches by it; the romanised one (more people share it) only
            # reaches for a notice that has nothing else.
            han = {name for name in names if name.startswith("han:")}
            for name in han or names:
                identity = (name, str(values["birth_date"])[:10])
                if entry not in self.by_name_dob[identity]:
                    self.by_name_dob[identity].append(entry)

    @classmethod
    def current(cls, notice_keys: Iterable[str] | None = None) -> PersonWideNotices:
        notices = SourceRecord.objects.filter(feed=NOTICE_FEED, is_current=True, sealed_at__isnull=True)
        if notice_keys is not None:
            notices = notices.filter(record_key__in=list(notice_keys))
        rows = list(notices.values_list("record_key", "values", "national_id_status"))
        person_wide = [key for key, values, _status in rows if not named_keys(values)]
        state = notice_state(
            key for key, values, _status in rows if not named_keys(values) and without_id(values)
        )
        linked = _identities_linked_to(person_wide, state) if person_wide else ()
        found = cls(rows, linked, state)
        found.learn()
        return found

    def _without_id(self) -> set[tuple[str, str]]:
        """The names and birth dates a notice without any national ID reaches by."""
        return {identity for identity, entries in self.by_name_dob.items() if any(not e[2] for e in entries)}

    def learn(self) -> None:
        """Read the valid national IDs the store holds under the names and birth dates of notices without an
        ID (every feed that names a person, notices included: a notice with an ID is a child too)."""
        wanted = self._without_id()
        if not wanted:
            return
        dobs = sorted({dob for _name, dob in wanted})
        holders = SourceRecord.objects.filter(pk__in=_keyed(Q(dob__in=dobs, nid_valid__isnull=False)))
        self.learn_rows(holders.values_list("values", "national_id_status"))

    def learn_rows(self, rows: Iterable[tuple[Mapping, str]]) -> None:
        """Add the valid national IDs these rows (values, national ID status) carry under the names and birth
        dates of notices without an ID: a file that brings two children at once is read as two children."""
        wanted = self._without_id()
        if not wanted:
            return
        for values, nid_status in rows:
            nid = (values.get("national_id") or "") if nid_status == "valid" else ""
            dob = str(values.get("birth_date") or "")[:10]
            if not nid or not dob:
                continue
            for name in _name_keys(values):
                if (name, dob) in wanted:
                    self.known_ids[(name, dob)].add(id_digest(nid))

    def _known(self, key: str, identity: tuple[str, str]) -> set[str]:
        reached = (self.state.get(key) or (False, set()))[1]
        return self.known_ids.get(identity, set()) | reached | self.reached_now.get(key, set())

    def blocked(self, key: str, identity: tuple[str, str], nid: str = "") -> bool:
        """Whether notice ``key``, which names no ID, may not reach a record under this name and birth date
        (carrying ``nid`` when valid): it is contested; or the record is under another valid ID than the one
        it reached before, or than one known under them; or, for a record without an ID, two are known."""
        contested, reached = self.state.get(key) or (False, set())
        if contested:
            return True
        known = self._known(key, identity)
        if nid:
            digest = id_digest(nid)
            before = reached | self.reached_now.get(key, set())
            return (bool(before) and digest not in before) or len(known - {digest}) >= 1
        return len(known) >= 2

    def contested_notices(self) -> set[str]:
        """Keys of the notices without an ID that two children with different valid IDs share (by name and
        birth date, or by what they reached before), or that are contested already."""
        found = {key for key, (contested, _reached) in self.state.items() if contested}
        for identity, entries in self.by_name_dob.items():
            for key, _effective, written in entries:
                if not written and len(self._known(key, identity)) >= 2:
                    found.add(key)
        return found

    def hold_contested(self) -> list[QuarantinedRow]:
        """Persist what this reading found contested (``hold_contested``); returns the quarantine rows made."""
        new = {key for key in self.contested_notices() if not (self.state.get(key) or (False, set()))[0]}
        for key in new:
            self.state[key] = (True, (self.state.get(key) or (False, set()))[1])
        return hold_contested(new) if new else []

    def remember(self) -> None:
        """Persist the IDs notices without an ID reached in this reading (``remember_reached``)."""
        if self.reached_now:
            remember_reached(self.reached_now)

    def __bool__(self) -> bool:
        return bool(self.by_nid or self.by_name_dob)

    def match(self, values: Mapping, nid_status: str) -> str:
        """The notice that reaches a contact with these values, or ``""``."""
        occurred = _day(values.get("occurred_on"))

        def reaches(effective_on) -> bool:
            # A date that is blank or cannot be read (a quarantined row's) is no proof that the contact came
            # after the notice: a sealed person's record must not survive because its date was malformed.
            return effective_on is None or occurred is None or occurred <= effective_on

        nid = (values.get("national_id") or "") if nid_status == "valid" else ""
        for key, effective_on in self.by_nid.get(nid, []) if nid else []:
            if reaches(effective_on):
                return key
        dob = str(values.get("birth_date") or "")[:10]
        for name in sorted(_name_keys(values)) if dob else []:
            for key, effective_on, notice_nid in self.by_name_dob.get((name, dob), []):
                if notice_nid and nid and nid != notice_nid:
                    continue
                if not notice_nid and self.blocked(key, (name, dob), nid):
                    continue  # a notice without an ID names one child; two share this name and birth date
                if reaches(effective_on):
                    if not notice_nid and nid:
                        self.reached_now[key].add(id_digest(nid))
                    return key
        return ""

    def match_misplaced(self, raw: Mapping) -> str:
        """The notice whose person a malformed row names **outside the identity columns**, or ``""``: the
        notice's valid national ID in any other cell, in a column name or in the overflow (a row shifted by a
        missing field, an unterminated quote that swallowed the next lines), or its name in another cell with
        its birth date anywhere in the row. The row's own dates cannot be trusted then, so ``effective_on`` is
        not checked. A row whose identity sits in its own columns is :meth:`match`'s to judge."""
        if not self or not isinstance(raw, Mapping):
            return ""
        cells = [(str(k), v if isinstance(v, str) else "") for k, v in raw.items()]
        texts = [unicodedata.normalize("NFKC", t) for k, v in cells for t in (k, v)]
        tokens = {t.upper() for text in texts for t in _TOKEN.split(text) if t}
        for nid in tokens & self.by_nid.keys():
            own = unicodedata.normalize("NFKC", str(raw.get("national_id") or "")).strip().upper()
            if own != nid:
                return self.by_nid[nid][0][0]
        names = {name for name, _dob in self.by_name_dob}
        misplaced = {
            name
            for column, value in cells
            for piece in (column, *_TOKEN.split(value))
            if column != "name" and piece
            for name in _name_keys({"name": piece})
        } | {name for k, _v in cells for name in _name_keys({"name": k})}
        for name in misplaced & names:
            days = set()
            for text in texts:
                for piece in [text, *_TOKEN.split(text)]:
                    try:
                        day = contract.parse_date(piece.strip())
                    except contract.ContractError:
                        continue
                    if day:
                        days.add(day.isoformat())
            for (wanted, dob), entries in self.by_name_dob.items():
                if wanted == name and dob in days:
                    for key, _effective, written in entries:
                        if written or not self.blocked(key, (wanted, dob)):
                            return key
        return ""

    def reach_in_store(self) -> dict[str, set[str]]:
        """notice key -> keys of the stored contacts it reaches by exact identity (linked or not)."""
        found: dict[str, set[str]] = defaultdict(set)
        if not self:
            return found
        # Candidates by birth date: the name may be spelt apart from the notice's (_name_keys), so it is
        # compared in Python.
        dobs = sorted({dob for _name, dob in self.by_name_dob})
        candidates = SourceRecord.objects.filter(
            pk__in=_keyed(Q(nid__in=sorted(self.by_nid)) | Q(dob__in=dobs), feed=CONTACT_FEED)
        )
        for key, values, nid_status in candidates.values_list("record_key", "values", "national_id_status"):
            notice = self.match(values, nid_status)
            if notice:
                found[notice].add(key)
        return found

    def reach_in_quarantine(self) -> dict[str, dict[int, str]]:
        """notice key -> {id: record key} of the quarantined contacts it reaches by exact identity, read from
        the raw row as the importer reads it: open rows, and rows already resubmitted (whose raw row is still
        kept). The key is blank for a row without one, and for a resubmitted row: the record stored from the
        steward's fix is the notice's only if it names the person itself (``reach_in_store``). Quarantined
        rows are few (a steward's backlog), so each is read in full: a raw row's column names and spellings
        are whatever was sent."""
        found: dict[str, dict[int, str]] = defaultdict(dict)
        if not self:
            return found
        rows = QuarantinedRow.objects.filter(feed=CONTACT_FEED).exclude(status=QuarantineStatus.SEALED)
        for pk, key, raw, status in rows.values_list("pk", "record_key", "raw", "status").iterator(
            chunk_size=2000
        ):
            if not isinstance(raw, Mapping):
                continue
            parsed = contract.validate_row(CONTACT_FEED, raw)
            notice = self.match(parsed.values, parsed.national_id_status) or self.match_misplaced(raw)
            if notice:
                found[notice][pk] = (key or parsed.key) if status == QuarantineStatus.OPEN else ""
        return found


def _keyed(condition: Q, **filters) -> list[int]:
    """Ids of the current unsealed person records whose linkage keys (``LinkageKey``, kept by the imports)
    meet ``condition``: the indexed way to find records by birth date or national ID. An installation that
    predates the table has it filled first (``keys.sync``), so that nothing is missed."""
    if not LinkageKey.objects.exists():
        from integrations.linkage import keys

        keys.sync()
    return list(LinkageKey.objects.filter(condition, **filters).values_list("source_record_id", flat=True))


def _id_as_written(value: object) -> str:
    """A national ID as the court wrote it (NFKC, no spaces, upper case), valid or not; ``""`` for none."""
    if not isinstance(value, str):
        return ""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper()


def _identities_linked_to(
    notice_keys: list[str], state: Mapping[str, tuple[bool, set[str]]] | None = None
) -> list[tuple[str, Mapping, str]]:
    """(notice key, values, national ID status) of every unsealed current record linked to the youth each of
    these notices is linked to (the notice's own excepted). For a notice without an ID (a key of ``state``),
    only a youth it may reach (``may_reach_youth``)."""
    youth_of = dict(
        RecordLink.objects.filter(feed=NOTICE_FEED, record_key__in=notice_keys).values_list(
            "record_key", "youth_id"
        )
    )
    if not youth_of:
        return []
    merged = dict(Youth.objects.filter(merged_into__isnull=False).values_list("pk", "merged_into_id"))
    notices_of: dict[int, list[str]] = defaultdict(list)
    for notice_key, youth_id in youth_of.items():
        seen = set()
        while youth_id in merged and youth_id not in seen:
            seen.add(youth_id)
            youth_id = merged[youth_id]
        notices_of[youth_id].append(notice_key)
    if state:
        digests = youth_id_digests(y for y, keys in notices_of.items() if set(keys) & set(state))
        for youth_id, keys in list(notices_of.items()):
            notices_of[youth_id] = [
                k for k in keys if k not in state or may_reach_youth(state[k], digests.get(youth_id, set()))
            ]
    links = RecordLink.objects.filter(youth_id__in=list(notices_of)).exclude(feed=NOTICE_FEED)
    by_feed: dict[str, dict[str, int]] = defaultdict(dict)
    for feed, key, youth_id in links.values_list("feed", "record_key", "youth_id"):
        by_feed[feed][key] = youth_id
    found = []
    for feed, keys in by_feed.items():
        records = SourceRecord.objects.filter(
            feed=feed, is_current=True, sealed_at__isnull=True, record_key__in=list(keys)
        ).values_list("record_key", "values", "national_id_status")
        for key, values, nid_status in records:
            for notice_key in notices_of[keys[key]]:
                found.append((notice_key, values, nid_status))
    return found
