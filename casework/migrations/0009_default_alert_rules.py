"""The focal-linkage rules the platform starts with (DOMAIN.md). Administrators revise them as new versions."""

from django.db import migrations

DEFAULT_RULES = [
    {
        "key": "offence_court",
        "name_zh": "觸法：移送少年法院",
        "name_en": "Offence: court referral",
        "duty_zh": "觸法事件須由警察移送少年法院",
        "duty_en": "Refer the offence to the juvenile court",
        "trigger": "event",
        "event_kind": "police_offence",
        "route_to": ["police"],
        "deadline_days": 7,
        "concern": "offence",
    },
    {
        "key": "offence_guidance",
        "name_zh": "觸法：少輔會評估輔導",
        "name_en": "Offence: guidance assessment",
        "duty_zh": "評估是否於法院程序外另提供輔導資源",
        "duty_en": "Assess whether guidance should run alongside the court referral",
        "trigger": "event",
        "event_kind": "police_offence",
        "route_to": ["committee"],
        "deadline_days": 14,
        "concern": "offence",
    },
    {
        "key": "exposure",
        "name_zh": "曝險行為：14日內決定是否開案",
        "name_en": "Exposure behaviour: decide within 14 days",
        "duty_zh": "14日內決定是否開案輔導，並通知通報單位",
        "duty_en": "Decide within 14 days whether to open a guidance case, and notify the referrer",
        "trigger": "event",
        "event_kind": "police_exposure",
        "route_to": ["committee"],
        "deadline_days": 14,
        "notify_referrer": True,
        "concern": "exposure",
    },
    {
        "key": "child_protection",
        "name_zh": "兒少保護通報：24小時內處理",
        "name_en": "Child-protection report: act within 24 hours",
        "duty_zh": "24小時內完成安全評估與處遇分派",
        "duty_en": "Assess safety and assign a worker within 24 hours",
        "trigger": "event",
        "event_kind": "child_protection",
        "route_to": ["welfare"],
        "deadline_hours": 24,
        "concern": "protection",
    },
    {
        "key": "fragile_family",
        "name_zh": "脆弱家庭通報：10日內家訪",
        "name_en": "Fragile-family report: home visit within 10 days",
        "duty_zh": "10日內家訪，30日內完成評估",
        "duty_en": "Visit the home within 10 days; assess within 30",
        "trigger": "event",
        "event_kind": "fragile_family",
        "route_to": ["welfare"],
        "deadline_days": 10,
        "concern": "protection",
    },
    {
        "key": "dropout",
        "name_zh": "中輟：學校追蹤與警察協尋",
        "name_en": "Dropout: school follow-up and police search",
        "duty_zh": "學校聯繫家庭追蹤復學；警察協尋",
        "duty_en": "School contacts the family about return; police help search",
        "trigger": "event",
        "event_kind": "dropout_reported",
        "route_to": ["education", "police"],
        "deadline_hours": 72,
        "concern": "high_concern",
    },
    {
        "key": "missing",
        "name_zh": "協尋：失蹤或逃家少年",
        "name_en": "Missing youth: search",
        "duty_zh": "24小時內會同家庭與學校協尋，尋獲後通知少輔會",
        "duty_en": "Search with the family and school within 24 hours; tell the committee once found",
        "trigger": "event",
        "event_kind": "police_missing",
        "route_to": ["police"],
        "deadline_hours": 24,
        "concern": "high_concern",
    },
    {
        "key": "deviant_followup",
        "name_zh": "偏差行為：少年隊追蹤",
        "name_en": "Deviant behaviour: juvenile unit follow-up",
        "duty_zh": "14日內聯繫少年與家長，評估是否轉介少輔會或學校",
        "duty_en": "Contact the youth and a parent within 14 days; consider referral to the committee or school",
        "trigger": "event",
        "event_kind": "police_deviant",
        "route_to": ["police"],
        "deadline_days": 14,
        "concern": "deviant",
    },
    {
        "key": "top_band",
        "name_zh": "高風險分數且無開案：少輔會分案",
        "name_en": "Top risk band with no open case: committee triage",
        "duty_zh": "檢視整合紀錄與分數理由，決定是否主動關懷",
        "duty_en": "Review the record and the score's reasons; decide whether to reach out",
        "trigger": "score",
        "bands": ["very_high"],
        "route_to": ["committee"],
        "deadline_days": 14,
        "concern": "high_concern",
    },
]


def add_rules(apps, schema_editor):
    AlertRule = apps.get_model("casework", "AlertRule")
    for rule in DEFAULT_RULES:
        AlertRule.objects.get_or_create(
            key=rule["key"], version=1, defaults={**rule, "change_note": "Platform default (DOMAIN.md)."}
        )


def remove_rules(apps, schema_editor):
    apps.get_model("casework", "AlertRule").objects.filter(version=1, created_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("casework", "0008_workflows")]
    operations = [migrations.RunPython(add_rules, remove_rules)]
