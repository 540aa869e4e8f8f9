"""Linkage built by hand for page, API and permission tests: source records from two feeds, youth, record
links, a linkage model and a review pair, without running the linkage engine. Every name is invented."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from casework.youth.services import create_youth
from integrations.feeds.contract import make_national_id
from integrations.feeds.importing import import_rows
from integrations.linkage import identity
from integrations.models import (
    LinkageModel,
    LinkageRun,
    LinkMethod,
    RecordLink,
    ReviewPair,
    SealingAction,
)

POLICE = "police.contacts"
WELFARE = "welfare.reports"
NID = make_national_id("H", 1, "2345678")


def _police(key: str, name: str, birth: str, district: str, **extra) -> dict:
    return {
        "contact_no": key,
        "name": name,
        "birth_date": birth,
        "sex": "M",
        "district": district,
        "occurred_on": "2024-02-01",
        "recorded_on": "2024-02-02",
        "kind": "deviant",
        "code": "late_night_loitering",
        **extra,
    }


def comparison() -> dict:
    """What the engine writes for a pair: per field both values, the agreement level and its weight."""
    return {
        "national_id": {"left": NID, "right": "", "level": "null", "match_weight": None},
        "surname": {"left": "測", "right": "測", "level": "exact", "match_weight": 2.41},
        "given_name": {"left": "試甲", "right": "試甲", "level": "exact", "match_weight": 6.52},
        "romanised_name": {"left": "CE SHI JIA", "right": "CE SHI JIA", "level": "same sound", "match_weight": 1.2},
        "birth_date": {"left": "2010-03-04", "right": "2010-04-03", "level": "day and month swapped", "match_weight": 3.05},
        "sex": {"left": "M", "right": "M", "level": "same", "match_weight": 0.94},
        "district": {"left": "桃園區", "right": "中壢區", "level": "different", "match_weight": -2.31},
        "address": {"left": "測試路1號", "right": "", "level": "null", "match_weight": None},
    }  # fmt: skip


def build_linkage(steward_actor=None, *, history: bool = False) -> SimpleNamespace:
    """Two youth that are one person (police PT-1 in ``a``, welfare WT-1 in ``b``) with an open review pair
    between their records; ``a`` also holds PT-2, someone else's record linked by mistake.

    ``history=True`` (needs ``steward_actor``) also makes a merge (``e`` absorbed into ``d``) and a split
    (PT-4 out of ``c``) for the reverse buttons, and a run and a sealing notice for the overview."""
    import_rows(
        feed=POLICE,
        rows=[
            _police("PT-1", "測試甲", "2010-03-04", "桃園區", national_id=NID, address="測試路1號"),
            _police("PT-2", "測試乙", "2011-05-06", "中壢區"),
            _police("PT-3", "測試丙", "2010-07-08", "八德區"),
            _police("PT-4", "測試丁", "2009-09-10", "八德區"),
        ],
    )
    import_rows(
        feed=WELFARE,
        rows=[
            {
                "report_no": "WT-1",
                "name": "測試甲",
                "birth_date": "2010-04-03",
                "sex": "M",
                "district": "中壢區",
                "reported_on": "2024-02-10",
                "kind": "fragile_family",
                "level": "medium",
            }
        ],
    )
    born = dt.date(2010, 3, 4)
    a = create_youth(name="測試甲", birth_date=born, sex="M", national_id=NID, district="桃園區")
    b = create_youth(name="測試甲", birth_date=dt.date(2010, 4, 3), sex="M", district="中壢區")
    link = RecordLink.objects.create
    link(feed=POLICE, record_key="PT-1", youth=a, method=LinkMethod.SINGLE)
    wrong = link(
        feed=POLICE, record_key="PT-2", youth=a, method=LinkMethod.PROBABILISTIC, match_probability=0.991
    )
    link(feed=WELFARE, record_key="WT-1", youth=b, method=LinkMethod.SINGLE)
    model = LinkageModel.objects.create(
        version=3,
        splink_version="5.0.0",
        code_version="abc1234",
        settings={"link_type": "dedupe_only", "comparisons": []},
        upper_threshold=0.99,
        lower_threshold=0.8,
        trained_on=4,
        metrics={"training_seconds": 1.5, "pairwise_f1": 0.981},
        is_active=True,
    )
    pair = ReviewPair.objects.create(
        left_feed=POLICE,
        left_key="PT-1",
        right_feed=WELFARE,
        right_key="WT-1",
        match_probability=0.934,
        match_weight=3.82,
        comparison=comparison(),
        model=model,
    )
    world = SimpleNamespace(a=a, b=b, model=model, pair=pair, wrong_link=wrong)
    if history:
        c = create_youth(name="測試丙", birth_date=dt.date(2010, 7, 8), sex="M", district="八德區")
        link(feed=POLICE, record_key="PT-3", youth=c, method=LinkMethod.SINGLE)
        link(
            feed=POLICE, record_key="PT-4", youth=c, method=LinkMethod.PROBABILISTIC, match_probability=0.995
        )
        world.c = c
        world.split = identity.split_youth(
            youth=c,
            records=[(POLICE, "PT-4")],
            reason="PT-4 is another boy",
            origin="test",
            actor=steward_actor,
        )
        world.d = create_youth(name="測試戊", birth_date=dt.date(2011, 1, 2), sex="F", district="桃園區")
        world.e = create_youth(name="測試戊", birth_date=dt.date(2011, 1, 2), sex="F", district="桃園區")
        world.merge = identity.merge_youth(
            kept=world.d, absorbed=world.e, reason="Same girl", origin="test", actor=steward_actor
        )
        world.run = LinkageRun.objects.create(
            mode=LinkageRun.Mode.FULL,
            model=model,
            figures={"records": 5, "youth_created": 3, "review_created": 1},
        )
        world.sealing = SealingAction.objects.create(
            notice_key="SN-1",
            court_case_no="113少調字第1號",
            effective_on=dt.date(2024, 6, 1),
            youth_public_id=c.public_id,
            sealed_keys=["PT-9"],
            records_sealed=1,
            events_removed=1,
        )
    return world
