"""Independent generator of Taiwanese youth identities and bureau feed records, with an error model.

Written for the record-linkage benchmark (bench/linkage_errors.py) *without* reading the project's own
synthetic generator or linker: the only inputs were the feed contract (FEEDS.md), the domain notes
(DOMAIN.md) and the public evidence cited below. Every name is generated from character pools; no real
person's full name is listed anywhere. National IDs are synthetic but pass the Ministry of the Interior
checksum.

Usage::

    python bench/identities.py --people 3000 --seed 1 --out /tmp/idbench
    python bench/identities.py --people 500 --seed 2 --out /tmp/x --knob homophone=0.2 --knob nid_digit=0

Output directory:

- ``school.students.csv``, ``police.contacts.csv``, ``welfare.reports.csv``: feed files per FEEDS.md, each in
  its own encoding (default school UTF-8 with BOM, police CP950, welfare UTF-8) and with the contract's mixed
  date forms (ISO, ``098/03/12``, ``98/03/12``, ``0980312``, ``98.03.12``).
- ``truth.csv``: ``feed,record_key,person_id,error_types`` for every row (``error_types`` is the ``;``-joined
  list of the errors applied to that row against the person's true identity, empty when clean).
- ``persons.csv``: the true identities, with the hard-negative relations (twin, namesake, sibling).
- ``manifest.json``: seed, knobs, encodings, counts.

Population model
================
Each generated person is a youth aged 12-17 on the reference date living in Taoyuan (districts weighted
roughly by population). Each appears in 1-4 records (40/30/20/10 %); 94 % have a school roster row (out-of-
school youth aged 15-17 are a few per cent: the senior-secondary net enrolment rate is about 94-95 %), 5 % of
those with 2+ records transferred school and have a second roster row; the other records are police contacts
and welfare reports in equal parts. The benchmark population is deliberately the *multi-agency* subset, which is
what linkage is for; it does not reproduce base rates of police or welfare contact.

Name pools
----------
Surnames: the Ministry of the Interior's 全國姓名統計分析 (2018 edition) gives the top ten with their shares
(陳 11.06 %, 林 8.28, 黃 6.01, 張 5.26, 李 5.11, 王 4.12, 吳 4.04, 劉 3.17, 蔡 2.91, 楊 2.66) and the order of
the top hundred; shares below the top ten are interpolated here (approximate, decreasing with rank), plus a
small tail of rarer and compound surnames (張簡, 范姜, 歐陽, 司徒). Given names: two characters (3 % one), drawn
from boys' and girls' first/second-position character pools written for this module, weighted towards the
characters that the MOI announcements name as fashionable for children born after 2000 (承恩, 品睿, 宥廷, 柏翰;
詠晴, 子晴, 品妍, 宜蓁 ...); 15 % of given names are drawn whole from a list of such popular given names, which
makes same-name strangers common, as they are in reality. A few name characters (堃, 喆, 峯) are outside
Big5/CP950 on purpose.

Error model (knobs)
===================
School rows are the reference and are clean apart from a rare missing national ID and what the file encoding
does. Every police and welfare row draws each error independently with its knob's rate, so combinations occur
naturally. A knob at 0 never produces its error; a drawn error that cannot apply to that row (no character
with a homophone, a day > 12 for a day/month swap ...) is not recorded. Rates are judgement informed by the
evidence named; where there is no published rate that is said.

Name characters
- ``homophone`` -- Zhuyin (Bopomofo) input selects the wrong candidate for the right syllable: same syllable
  and tone (廷/庭/婷, 涵/函, 恩/嗯), sometimes another tone of the same syllable (品/聘). Zhuyin is the dominant
  input method in Taiwan and produces homophone candidate lists. Liu et al., "Visually and phonologically
  similar characters in incorrect Chinese words", ACM TALIP 10(2), 2011: of 4,100 incorrect words, 76 % involved
  a phonologically similar character; Liu et al., ALR7 2009: 80 % of errors in middle-school writing were
  pronunciation-related. One character per row (the surname in 5 % of cases), preferring characters that occur
  in names (weight 8:1), as an input method's user dictionary and frequency ranking would. Candidates come from
  the 5,401 Big5 level-1 characters with pypinyin readings, corrected to the Taiwan reading where they differ
  (柏 is bó, not bǎi: TAIWAN_READINGS).
- ``near_homophone`` -- the clerk hears the name (police field contact, 113 phone report) and types a
  character of a *nearby* syllable under Taiwan Mandarin mergers: retroflex/dental zh/z, ch/c, sh/s (both
  directions: de-retroflexion and hypercorrection, Chung, J. Asian Pacific Communication 16(2), 2006), final
  nasals -in/-ing and -en/-eng (Fon et al., Language and Linguistics 12(2):273-311, 2011; Hsu & Tse, Concentric
  33(1), 2007), n/l and f/h(u) from Southern Min transfer (Kubler 1985, The Development of Mandarin in Taiwan).
- ``shape`` -- a visually similar (形近) character: 己/已/巳, 未/末, 千/干, 候/侯, 汨/汩, 祟/崇, 栽/裁, 辨/辯 and the
  name-character groups in SHAPE_GROUPS; from transcribing handwritten notes and forms. Liu et al. 2011: 46 % of
  incorrect words involved a visually similar character.
- ``transpose_given`` -- the two given-name characters swapped (承恩 -> 恩承): a keying slip; no published rate,
  kept low.
- ``simplified`` -- the name typed in Simplified forms (张, 彦, 刘, 陈 ...; OpenCC t2s), only in the source named by
  ``simplified_feed`` (default welfare): forms filled by or for a parent from mainland China (mainland spouses
  number over 300,000 in Taiwan, National Immigration Agency) or a worker on a Simplified input method. Not
  recorded when the name has no Simplified form.
- ``variant_char`` -- a 異體字 variant of a character (黃->黄, 溫->温, 峰->峯, 群->羣, 啟->啓 ...) as Japanese/HK input
  methods and Unicode fonts produce; most variants are outside CP950.
- ``name_space`` -- a space inside the name (王 小明, full-width 王　小明), common in hand-keyed sheets.
- ``romanised_only`` -- no Chinese name, only ``name_romanized``: Hanyu pinyin or the Wade-Giles passport
  spelling (Chang Chih-hao, LEE, HSU, TSAI), in any case and word order. Taiwan's Bureau of Consular Affairs
  lets passport holders choose Wade-Giles, Hanyu, Tongyong or MPS II spellings, and older families keep
  Wade-Giles surnames; records keyed from a passport or an English form carry only that.
- ``dot_variant`` / ``indigenous_han_name`` -- for the indigenous youths registered under a traditional name in
  Chinese transliteration (原住民族姓名條例): the separating dot typed as another character ('·', '•', '.', '．',
  a space or nothing instead of '‧'), or the youth recorded under the Han name used day to day.
- ``cp950_lossy`` -- not a knob but a consequence: a row written into a CP950 file whose name has a character
  outside Big5 (variants, Simplified forms, 堃/喆/峯) gets '?' for it, as an Excel "save as" does.

Dates of birth
- ``roc_off_by_one`` -- ROC year off by one (ROC 96 vs 97): converting with 1912 instead of 1911, or an age
  typed instead of the year. Luo et al., BMC Bioinformatics 15:185, 2014, found 1.5 % of birthdates incorrect in
  a state-wide health data set; the ROC conversion adds a Taiwan-specific source.
- ``roc_as_ad`` -- a two-digit ROC year read as an AD year (98/03/12 becomes 1998-03-12, Excel's two-digit-year
  rule); applies to ROC years below 100 (born 2008-2010).
- ``dob_day_off`` -- day off by one. ``dob_swap_dm`` -- day and month swapped (only when day <= 12).

National ID
- ``nid_missing_*`` -- blank ID, by source: school almost never (``nid_missing_school``: the roster is keyed on
  the ID; blanks are children without household registration); police often (``nid_missing_police_other``: a
  field contact for loitering or a runaway search records what the youth says; ``..._police_offence``: an
  offence case verifies identity, so less often); welfare sometimes (``nid_missing_welfare``: 113 reports
  come from third parties who rarely know the child's ID). No published rates; these are assumptions.
- ``nid_digit`` -- one digit mistyped; ``nid_transpose`` -- two adjacent digits swapped. With the MOI weights
  (1, 9, 8, 7, ..., 1, 1) a digit changed by 5 at an even-weight position, or the last two digits swapped, still
  passes the checksum -- such IDs look valid and point at nobody (or at someone else).
- ``fullwidth_nid`` / ``fullwidth_date`` -- full-width characters (Ａ１２３...) typed with the Zhuyin input method
  left in full-width mode. The contract allows a malformed ID; a full-width date is outside it and may be
  quarantined, hence its separate low rate.

Other
- ``moved`` -- the record has another district and address (the family moved; Hagger-Johnson et al., Health
  Services Research 50(4), 2015: out-of-date addresses are a main cause of missed links).
- ``sex_missing`` -- sex left blank.

Hard negatives (different people who look alike)
- ``twin_rate`` -- share of persons who are one of a twin pair: same surname, birth date, district, address
  and school, given names sharing one character (about 1 in 50 children in Taiwan is a twin; multiple births
  share date of birth and postcode, Hagger-Johnson et al. 2015).
- ``namesake_rate`` -- share of persons who share surname *and* given name with another person born within
  120 days (common names: MOI counts thousands of people per popular full name).
- ``sibling_rate`` -- share of persons who have a sibling in the data: same surname and address, born 1-5 years
  apart, half of them sharing a generation character.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import json
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta
from pathlib import Path

FEEDS = ("school.students", "police.contacts", "welfare.reports")

# Default file encodings: school exports UTF-8 with BOM (Excel "CSV UTF-8"), police CP950 (an Excel "CSV" on a
# Traditional-Chinese Windows), welfare plain UTF-8 from a web system.
DEFAULT_ENCODINGS = {"school.students": "utf-8-sig", "police.contacts": "cp950", "welfare.reports": "utf-8"}

ERROR_ORDER = (
    "homophone",
    "near_homophone",
    "shape",
    "transpose_given",
    "simplified",
    "variant_char",
    "name_space",
    "romanised_only",
    "dot_variant",
    "indigenous_han_name",
    "cp950_lossy",
    "roc_off_by_one",
    "roc_as_ad",
    "dob_day_off",
    "dob_swap_dm",
    "nid_missing",
    "nid_digit",
    "nid_transpose",
    "fullwidth_nid",
    "fullwidth_date",
    "moved",
    "sex_missing",
)


@dataclass
class ErrorModel:
    """Rates of each error per police/welfare row (unless the name says otherwise). See the module docstring."""

    homophone: float = 0.06
    near_homophone: float = 0.03
    shape: float = 0.02
    transpose_given: float = 0.01
    simplified: float = 0.08  # per row of `simplified_feed` only
    simplified_feed: str = "welfare.reports"
    variant_char: float = 0.02
    name_space: float = 0.02
    romanised_only: float = 0.015
    dot_variant: float = 0.5  # per row of a person registered under a traditional indigenous name
    indigenous_han_name: float = 0.3  # idem
    roc_off_by_one: float = 0.015
    roc_as_ad: float = 0.01
    dob_day_off: float = 0.015
    dob_swap_dm: float = 0.01
    nid_missing_school: float = 0.005
    nid_missing_police_offence: float = 0.15
    nid_missing_police_other: float = 0.45
    nid_missing_welfare: float = 0.25
    nid_digit: float = 0.015
    nid_transpose: float = 0.01
    fullwidth_nid: float = 0.02
    fullwidth_date: float = 0.005
    moved: float = 0.10
    sex_missing: float = 0.05
    twin_rate: float = 0.02
    namesake_rate: float = 0.03
    sibling_rate: float = 0.04
    # None: DEFAULT_ENCODINGS. A number: each file is CP950 with this probability, else UTF-8 (school with BOM).
    cp950_share: float | None = None

    def set(self, name: str, value: str) -> None:
        types = {f.name: f.type for f in fields(self)}
        if name not in types:
            raise ValueError(f"unknown knob {name!r}; knobs: {', '.join(types)}")
        if name == "simplified_feed":
            setattr(self, name, value)
        elif name == "cp950_share":
            setattr(self, name, None if value.lower() in ("", "none") else float(value))
        else:
            setattr(self, name, float(value))

    @classmethod
    def zero(cls) -> ErrorModel:
        """Every error rate at 0 (no hard negatives either): a clean data set."""
        m = cls()
        for f in fields(m):
            if f.name not in ("simplified_feed", "cp950_share"):
                setattr(m, f.name, 0.0)
        return m


# --------------------------------------------------------------------------------------------------------------
# National ID (中華民國國民身分證統一編號)
# --------------------------------------------------------------------------------------------------------------
NID_LETTERS = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34, "J": 18, "K": 19, "L": 20,
    "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30,
    "Y": 31, "Z": 33,
}  # fmt: skip
NID_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 1, 1)  # for the nine digits; the letter's two digits weigh 1 and 9


def nid_checksum_ok(nid: str) -> bool:
    """True when `nid` is a letter, 1 or 2, eight digits, and passes the MOI checksum."""
    if not re.fullmatch(r"[A-Z][12]\d{8}", nid or ""):
        return False
    code = NID_LETTERS[nid[0]]
    total = code // 10 + (code % 10) * 9 + sum(int(d) * w for d, w in zip(nid[1:], NID_WEIGHTS, strict=True))
    return total % 10 == 0


def make_nid(rng: random.Random, letter: str, sex: str, used: set[str]) -> str:
    while True:
        body = ("1" if sex == "M" else "2") + "".join(rng.choice("0123456789") for _ in range(7))
        code = NID_LETTERS[letter]
        partial = (
            code // 10 + (code % 10) * 9 + sum(int(d) * w for d, w in zip(body, NID_WEIGHTS[:8], strict=True))
        )
        nid = f"{letter}{body}{(10 - partial % 10) % 10}"
        if nid not in used:
            used.add(nid)
            return nid


# Household-registration letter by place of first registration: most Taoyuan youths were registered in Taoyuan
# (H); the rest elsewhere (Taipei A, New Taipei F, Taichung B, Hsinchu County J ...).
NID_LETTER_WEIGHTS = {"H": 70, "A": 7, "F": 8, "B": 3, "J": 3, "O": 2, "E": 2, "K": 2, "D": 1, "N": 1, "Q": 1}

# --------------------------------------------------------------------------------------------------------------
# Name pools
# --------------------------------------------------------------------------------------------------------------
# (surname, Hanyu pinyin syllables, approximate share in %). Top ten: MOI 2018; the rest interpolated by rank.
SURNAMES = [
    ("陳", "chen", 11.06), ("林", "lin", 8.28), ("黃", "huang", 6.01), ("張", "zhang", 5.26), ("李", "li", 5.11),
    ("王", "wang", 4.12), ("吳", "wu", 4.04), ("劉", "liu", 3.17), ("蔡", "cai", 2.91), ("楊", "yang", 2.66),
    ("許", "xu", 2.3), ("鄭", "zheng", 1.9), ("謝", "xie", 1.8), ("郭", "guo", 1.7), ("洪", "hong", 1.6),
    ("邱", "qiu", 1.5), ("曾", "zeng", 1.5), ("廖", "liao", 1.4), ("賴", "lai", 1.35), ("徐", "xu", 1.25),
    ("周", "zhou", 1.2), ("葉", "ye", 1.15), ("蘇", "su", 1.1), ("莊", "zhuang", 1.0), ("江", "jiang", 0.95),
    ("呂", "lv", 0.9), ("何", "he", 0.88), ("羅", "luo", 0.85), ("高", "gao", 0.83), ("蕭", "xiao", 0.8),
    ("潘", "pan", 0.75), ("朱", "zhu", 0.72), ("簡", "jian", 0.7), ("鍾", "zhong", 0.68), ("彭", "peng", 0.66),
    ("游", "you", 0.64), ("詹", "zhan", 0.62), ("胡", "hu", 0.6), ("施", "shi", 0.58), ("沈", "shen", 0.56),
    ("余", "yu", 0.54), ("趙", "zhao", 0.52), ("盧", "lu", 0.5), ("梁", "liang", 0.49), ("顏", "yan", 0.48),
    ("柯", "ke", 0.47), ("孫", "sun", 0.46), ("魏", "wei", 0.45), ("翁", "weng", 0.44), ("戴", "dai", 0.43),
    ("范", "fan", 0.42), ("宋", "song", 0.41), ("方", "fang", 0.4), ("鄧", "deng", 0.39), ("杜", "du", 0.38),
    ("傅", "fu", 0.37), ("侯", "hou", 0.36), ("曹", "cao", 0.35), ("溫", "wen", 0.34), ("薛", "xue", 0.33),
    ("丁", "ding", 0.32), ("馬", "ma", 0.31), ("蔣", "jiang", 0.3), ("唐", "tang", 0.3), ("卓", "zhuo", 0.29),
    ("藍", "lan", 0.28), ("馮", "feng", 0.28), ("姚", "yao", 0.27), ("石", "shi", 0.27), ("董", "dong", 0.26),
    ("紀", "ji", 0.26), ("歐", "ou", 0.25), ("程", "cheng", 0.25), ("連", "lian", 0.24), ("古", "gu", 0.24),
    ("汪", "wang", 0.23), ("湯", "tang", 0.23), ("姜", "jiang", 0.22), ("田", "tian", 0.22), ("康", "kang", 0.21),
    ("鄒", "zou", 0.21), ("白", "bai", 0.2), ("塗", "tu", 0.2), ("尤", "you", 0.19), ("巫", "wu", 0.19),
    ("韓", "han", 0.18), ("龔", "gong", 0.18), ("嚴", "yan", 0.17), ("袁", "yuan", 0.17), ("鐘", "zhong", 0.16),
    ("黎", "li", 0.16), ("金", "jin", 0.15), ("阮", "ruan", 0.15), ("陸", "lu", 0.14), ("倪", "ni", 0.14),
    ("夏", "xia", 0.13), ("童", "tong", 0.13), ("邵", "shao", 0.12), ("柳", "liu", 0.12), ("錢", "qian", 0.11),
    # a tail of rarer and compound surnames
    ("官", "guan", 0.06), ("饒", "rao", 0.05), ("甘", "gan", 0.05), ("凃", "tu", 0.04), ("練", "lian", 0.04),
    ("涂", "tu", 0.05), ("辜", "gu", 0.03), ("宮", "gong", 0.03), ("張簡", "zhang jian", 0.03),
    ("范姜", "fan jiang", 0.02), ("歐陽", "ou yang", 0.03), ("司徒", "si tu", 0.01),
]  # fmt: skip

# Wade-Giles passport spellings that differ from the rule-based conversion (李 is usually LEE).
SURNAME_WG_OVERRIDES = {"李": ["LEE", "LEE", "LI"], "呂": ["LU", "LYU"], "游": ["YU", "YOU"]}


def _parse_pool(spec: str) -> list[tuple[str, int]]:
    return [(m.group(1), int(m.group(2) or 1)) for m in re.finditer(r"(\S)(\d*)", spec.replace(" ", ""))]


BOY_FIRST = _parse_pool(
    "承8品6宥6柏7冠6彥5宸4子4家4俊4育3睿3昱3宇3哲3奕3凱3祐3建2志2明2浩3皓2翊3紹2勝2聖2威2竣2均2丞3秉2立2"
    "煜2晉2恩2安2軒1詠1鈞2崇1定1信2泓1允2韋1禹2維2博2星1毓1"
)
BOY_SECOND = _parse_pool(
    "恩6翰6睿6廷7宇7辰4均3豪3傑3宏3瑋3佑3凱2諺2霖2哲3叡1逸2軒4杰2勛2澤2翔3鈞2碩2安3銘2誠2毅2達2謙2緯2竣2崴2"
    "樺2彬2文2明2德2偉2賢2楷2曜2峰2鴻2堃1喆1晨2陽2綸1甫1君1峯1"
)
GIRL_FIRST = _parse_pool(
    "詠6子6品5宜5欣5詩4芯4語4心4禹3苡3以3宥4佳4怡3雅4思4沛2昕3若3予3羽2妍2亞3郁2采2佩2筱3婉2姿2靖2芷3紫2"
    "姵2可3巧2于2玟2湘2家2嘉2依3"
)
GIRL_SECOND = _parse_pool(
    "晴7涵6妤6蓁6彤5瑜5妍6萱4恩3璇3婷4庭3柔3希3安3淇2琪3潔2穎3綺2芸3筑2霏2瑄2玥2筠3菲2甯2云2歆2薇2羚2婕2伶2"
    "凌2琳3亭2喬2瑩2嫻1儀3慈2心3"
)


def _words(text: str) -> list[str]:
    return text.split()


POPULAR_BOY = _words("承恩 承翰 品睿 宥廷 柏翰 柏宇 冠宇 宸睿 彥廷 睿恩 冠廷 柏睿 宥辰 子睿 品翰")
POPULAR_GIRL = _words("詠晴 子晴 品妍 宜蓁 欣妤 詩涵 品妤 宥蓁 子涵 芯瑜 語彤 心妤 禹彤 苡晴 以晴")

# Indigenous traditional names in Chinese transliteration: (romanised syllable, character).
INDIGENOUS_SYLLABLES = [
    ("ba", "巴"), ("nai", "奈"), ("wa", "瓦"), ("tan", "旦"), ("yu", "尤"), ("bi", "比"), ("la", "拉"), ("ya", "雅"),
    ("i", "伊"), ("wan", "萬"), ("da", "達"), ("li", "利"), ("ma", "馬"), ("yao", "耀"), ("gu", "谷"), ("mu", "慕"),
    ("ha", "哈"), ("yong", "勇"), ("ji", "吉"), ("na", "娜"), ("u", "烏"), ("du", "杜"), ("a", "阿"), ("mei", "美"),
    ("lo", "羅"), ("sa", "莎"), ("bu", "布"), ("ki", "奇"), ("tu", "圖"), ("ta", "塔"), ("ku", "古"), ("si", "斯"),
    ("pi", "碧"), ("ru", "如"), ("lu", "露"), ("ti", "帝"), ("kan", "甘"), ("lai", "萊"), ("ho", "禾"), ("ka", "卡"),
]  # fmt: skip
INDIGENOUS_DOT = "‧"  # U+2027, as in Big5-era household-registration systems
INDIGENOUS_DOT_VARIANTS = ["·", "•", ".", "．", " ", ""]

# Taoyuan's districts with rough population weights.
DISTRICTS = {
    "桃園區": 20, "中壢區": 19, "平鎮區": 10, "八德區": 9, "楊梅區": 8, "蘆竹區": 8, "龜山區": 7, "龍潭區": 5,
    "大溪區": 4, "大園區": 4, "觀音區": 3, "新屋區": 2, "復興區": 1,
}  # fmt: skip
ROADS = _words(
    "中山路 中正路 民生路 民族路 復興路 成功路 建國路 中華路 自強路 忠孝路 仁愛路 信義路 和平路 光明路 文化路 延平路 "
    "永安路 大興路 南平路 環中東路 介壽路 長春路 三民路 新生路 榮民路 福州街 龍岡路 中豐路 健行路 金陵路"
)

# Visually similar (形近) character groups: each string is a group of characters that are mistaken for one another.
SHAPE_GROUPS = _words(
    "己已巳 未末 千干 候侯 汨汩 祟崇 栽裁 辨辯辮 戊戌戍 日曰 土士 大太犬 人入 王玉主 宇字 毫豪 "
    # surnames
    "陳陣 林材 黃廣 張漲帳 李季 吳吾 劉瀏 蔡祭 楊揚陽湯 許評 鄭擲 謝榭 郭廓 洪烘 邱丘 曾會 廖寥 賴瀨懶 徐涂除 "
    "周週 葉棄 蘇穌 莊壯 江汪 呂宮 何河 羅蘿 高膏 蕭簫 潘播 朱未 簡蕑 鍾鐘種 彭澎 游遊 詹擔 胡湖 施旋 沈沉 余佘 "
    "趙超 盧廬爐 梁粱 顏彥 孫遜 魏巍 翁翊 戴載 范苑 方万 鄧登 杜社 傅博 曹槽 溫瘟 薛薩 丁了 馬媽 蔣漿 唐塘 卓桌 "
    "藍籃 馮憑 姚桃 董懂 紀記 歐毆 程呈 連蓮 古吉 姜美 田由甲 康慷 白百 塗途 巫坐 韓幹 袁哀 黎梨 金全 阮院 陸睦 "
    "倪霓 童僮 邵召 柳抑 錢淺 "
    # given-name characters
    "承丞 恩思 翰瀚 宥侑有 廷延 品晶 睿叡 柏栢伯 宸晨 冠寇 育盲 俊浚峻駿 哲晢 瑋偉煒緯 祐佑祜 奕弈 凱剴 傑桀 "
    "昱翌昊 辰晨 宏宋 明朋 豪毫 翔詳祥 安宴 均鈞 崴威 霖霜 皓浩 維雄 澤擇 逸免 鴻鳩 嘉喜 紹詔 勝騰 竣峻 曜耀 "
    "謙嫌 楷諧 允充 信言 誠城 諺彥 劭邵 陽楊 泓弘 秉乘 昇昪 煜昱 晉普 博傅 毓毒 "
    "詠泳 晴睛情 妍研 宜宣 蓁秦 欣炊 妤好 詩時 涵函 瑜愉 語誤 彤形 心必 苡以 璇漩旋 萱宣 佳住 怡恰 婷停 雅稚 "
    "筑築 琪祺棋淇 芸芳 沛沸 昕听 羽習 柔桑 若苦 予矛 希布 庭廷 靖倩 潔絜 穎潁 玟玫 郁都 采釆 歆飲 綺倚 云去 "
    "菲斐 筠鈞 姿恣 薇微 羚玲 婕捷 伶冷 凌淩 琳淋 亭亨 喬僑 甯寧 瑩螢 意億 可司 儀議 慈茲 筱莜 婉琬 巧朽 湘相 "
    "佩珮 芷址 紫柴 依衣 郁有 姵珮 亞惡 禹萬 子孑 家豕 志忐 立位 定淀 軒斬 韋偉 星聖 崇祟 君群 甫浦 綸倫 彬杉 "
    "樺華 銘鉻 峰鋒 緯偉 達逵 毅殺 德徳 勛動 碩頓 澤譯 陽湯 叡濬 嫻閑 心沁"
)

# 異體字 variants a different input method or font produces.
VARIANTS = {
    "黃": "黄", "溫": "温", "峰": "峯", "群": "羣", "真": "眞", "說": "説", "為": "爲", "衛": "衞", "啟": "啓",
    "綠": "緑", "清": "淸", "鍾": "鐘", "游": "遊", "台": "臺", "臺": "台", "德": "徳", "彥": "彦", "強": "强",
    "銳": "鋭", "勛": "勳", "凌": "淩", "妍": "姸", "柏": "栢", "睿": "叡",
}  # fmt: skip

# Taiwan Mandarin near-merges between syllables (toneless pinyin, 'v' for ü).
FH_PAIRS = [("fa", "hua"), ("fan", "huan"), ("fang", "huang"), ("fei", "hui"), ("fen", "hun"), ("feng", "hong"),
            ("fu", "hu"), ("fo", "huo")]  # fmt: skip


def _weighted(rng: random.Random, pool: list[tuple[str, float]]) -> str:
    items, weights = zip(*pool, strict=True)
    return rng.choices(items, weights=weights, k=1)[0]


@functools.cache
def big5_common_chars() -> tuple[str, ...]:
    """The 5,401 'frequently used' characters of Big5 level 1 (0xA440-0xC67E), decoded through CP950."""
    chars = []
    for hi in range(0xA4, 0xC7):
        for lo in [*range(0x40, 0x7F), *range(0xA1, 0xFF)]:
            if hi == 0xC6 and lo > 0x7E:
                break
            try:
                chars.append(bytes([hi, lo]).decode("cp950"))
            except UnicodeDecodeError:
                continue
    return tuple(chars)


@functools.cache
def name_chars() -> frozenset[str]:
    chars = {c for pool in (BOY_FIRST, BOY_SECOND, GIRL_FIRST, GIRL_SECOND) for c, _ in pool}
    chars |= {c for s, _, _ in SURNAMES for c in s}
    return frozenset(chars)


# Taiwan (MOE dictionary) readings where pypinyin gives the mainland one; Zhuyin candidates and passport spellings
# follow the Taiwan reading (柏 is bó/Po in Taiwanese names, not bǎi).
TAIWAN_READINGS = {"柏": ("bo", "2"), "崴": ("wei", "1"), "危": ("wei", "2"), "微": ("wei", "2"), "期": ("qi", "2"),
                   "質": ("zhi", "2"), "企": ("qi", "4"), "暫": ("zhan", "4"), "綜": ("zong", "4"),
                   "寂": ("ji", "2")}  # fmt: skip


def _py_tone3(ch: str) -> tuple[str, str] | None:
    from pypinyin import Style, pinyin

    if ch in TAIWAN_READINGS:
        return TAIWAN_READINGS[ch]
    py = pinyin(ch, style=Style.TONE3, errors="ignore")
    if not py or not py[0]:
        return None
    s = py[0][0]
    tone = s[-1] if s[-1].isdigit() else "5"
    return s.rstrip("012345"), tone


@functools.cache
def syllable_index() -> tuple[
    dict[str, list[str]], dict[tuple[str, str], list[str]], dict[str, tuple[str, str]]
]:
    """(base syllable -> chars, (base, tone) -> chars, char -> (base, tone)) over Big5 level 1 + name pools."""
    by_base: dict[str, list[str]] = defaultdict(list)
    by_tone: dict[tuple[str, str], list[str]] = defaultdict(list)
    reading: dict[str, tuple[str, str]] = {}
    for ch in sorted(set(big5_common_chars()) | name_chars()):
        r = _py_tone3(ch)
        if r is None:
            continue
        reading[ch] = r
        by_base[r[0]].append(ch)
        by_tone[r].append(ch)
    return dict(by_base), dict(by_tone), reading


@functools.cache
def shape_neighbours() -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = defaultdict(set)
    for group in SHAPE_GROUPS:
        for ch in group:
            out[ch] |= set(group) - {ch}
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _pick_candidate(rng: random.Random, cands: list[str], exclude: str) -> str | None:
    pool = [c for c in cands if c != exclude]
    if not pool:
        return None
    nc = name_chars()
    return rng.choices(pool, weights=[8 if c in nc else 1 for c in pool], k=1)[0]


# Homophones outside Big5 level 1 (or read differently by pypinyin) that input methods still offer.
HOMOPHONE_EXTRA = {"恩": "嗯蒽", "涵": "函", "品": "聘"}


def homophone_of(rng: random.Random, ch: str) -> str | None:
    by_base, by_tone, reading = syllable_index()
    r = reading.get(ch)
    if ch in HOMOPHONE_EXTRA and (r is None or rng.random() < 0.3):
        return rng.choice(HOMOPHONE_EXTRA[ch])
    if r is None:
        return None
    if rng.random() < 0.2:  # another tone of the same syllable (品/聘)
        c = _pick_candidate(rng, [x for x in by_base.get(r[0], []) if reading[x][1] != r[1]], ch)
        if c:
            return c
    found = _pick_candidate(rng, by_tone.get(r, []), ch) or _pick_candidate(rng, by_base.get(r[0], []), ch)
    if found is None and ch in HOMOPHONE_EXTRA:
        return rng.choice(HOMOPHONE_EXTRA[ch])
    return found


def near_syllables(base: str) -> list[str]:
    out = []
    for a, b in (("zh", "z"), ("ch", "c"), ("sh", "s")):
        if base.startswith(a):
            out.append(b + base[len(a) :])
        elif base.startswith(b) and not base.startswith(a):
            out.append(a + base[len(b) :])
    if base.startswith("n"):
        out.append("l" + base[1:])
    elif base.startswith("l"):
        out.append("n" + base[1:])
    for a, b in (("ing", "in"), ("eng", "en")):
        if base.endswith(a):
            out.append(base[: -len(a)] + b)
        elif base.endswith(b):
            out.append(base + "g")
    for f, h in FH_PAIRS:
        if base == f:
            out.append(h)
        elif base == h:
            out.append(f)
    return [s for s in out if s != base]


def near_homophone_of(rng: random.Random, ch: str) -> str | None:
    by_base, by_tone, reading = syllable_index()
    r = reading.get(ch)
    if r is None:
        return None
    options = [s for s in near_syllables(r[0]) if s in by_base]
    rng.shuffle(options)
    for s in options:
        c = _pick_candidate(rng, by_tone.get((s, r[1]), []), ch) or _pick_candidate(rng, by_base[s], ch)
        if c:
            return c
    return None


def shape_of(rng: random.Random, ch: str) -> str | None:
    n = shape_neighbours().get(ch)
    return rng.choice(n) if n else None


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    return _t2s().convert(text)


# --------------------------------------------------------------------------------------------------------------
# Romanisation
# --------------------------------------------------------------------------------------------------------------
_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c",
             "s", "y", "w")  # fmt: skip
_WG_INITIAL = {"b": "p", "p": "p", "d": "t", "t": "t", "g": "k", "k": "k", "zh": "ch", "ch": "ch", "j": "ch",
               "q": "ch", "x": "hs", "z": "ts", "c": "ts", "r": "j", "sh": "sh", "s": "s", "h": "h", "f": "f",
               "m": "m", "n": "n", "l": "l", "y": "y", "w": "w", "": ""}  # fmt: skip
_WG_WHOLE = {"zi": "tzu", "ci": "tzu", "si": "ssu", "zhi": "chih", "chi": "chih", "shi": "shih", "ri": "jih",
             "er": "erh", "you": "yu", "yan": "yen", "ye": "yeh", "yi": "i", "yong": "yung", "yue": "yueh",
             "e": "o", "jue": "chueh", "que": "chueh", "xue": "hsueh", "lve": "lueh", "nve": "nueh",
             "lue": "lueh", "nue": "nueh", "lv": "lu", "nv": "nu", "yu": "yu", "yun": "yun", "yuan": "yuan"}  # fmt: skip


def wade_giles(syl: str) -> str:
    """Toneless Hanyu syllable ('v' for ü) -> Wade-Giles as Taiwanese passports write it (no apostrophe/umlaut)."""
    s = syl.lower().replace("ü", "v")
    if s in _WG_WHOLE:
        return _WG_WHOLE[s]
    ini = next((i for i in _INITIALS if s.startswith(i)), "")
    fin = s[len(ini) :]
    if ini in ("j", "q", "x") and fin.startswith("u"):
        fin = "v" + fin[1:]
    if fin == "e":
        fin = "o" if ini in ("g", "k", "h") else "e"
    elif fin == "uo":
        fin = "uo" if ini in ("g", "k", "h", "sh") else "o"
    elif fin == "ui":
        fin = "uei" if ini in ("g", "k") else "ui"
    elif fin == "ong":
        fin = "ung"
    elif fin == "iong":
        fin = "iung"
    elif fin == "ian":
        fin = "ien"
    elif fin == "ie":
        fin = "ieh"
    elif fin in ("ue", "ve"):
        fin = "ueh"
    fin = fin.replace("v", "u")
    return _WG_INITIAL[ini] + fin


def hanyu_passport(syl: str) -> str:
    s = syl.lower()
    if "v" in s:
        s = s.replace("v", "yu") if s[0] in "ln" else s.replace("v", "u")
    return s


def given_syllables(given: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return [
        TAIWAN_READINGS[c][0] if c in TAIWAN_READINGS else s.lower()
        for c, s in zip(given, lazy_pinyin(given, style=Style.NORMAL), strict=False)
    ]


def romanise(rng: random.Random, person: Person, han_name: bool = False) -> str:
    """A romanised rendering of the person's name (the registered one unless `han_name`): Hanyu or Wade-Giles,
    any case and word order."""
    if person.traditional_name and not han_name:
        parts = [p.capitalize() for p in person.traditional_roman.split()]
        return " ".join(parts) if rng.random() < 0.7 else " ".join(parts).upper()
    sur_syl = person.surname_py.split()
    giv_syl = given_syllables(person.given)
    if rng.random() < 0.5:  # Wade-Giles
        if person.surname in SURNAME_WG_OVERRIDES:
            sur = rng.choice(SURNAME_WG_OVERRIDES[person.surname])
        else:
            sur = "".join(wade_giles(s) for s in sur_syl).upper()
        giv = [wade_giles(s) for s in giv_syl]
    else:
        sur = "".join(hanyu_passport(s) for s in sur_syl).upper()
        giv = [hanyu_passport(s) for s in giv_syl]
    form = rng.randrange(4)
    if form == 0:  # passport: SURNAME, GIVEN-NAME
        return f"{sur}, {'-'.join(giv).upper()}"
    if form == 1:  # Western order
        return f"{'-'.join(giv).capitalize()} {sur.capitalize()}"
    if form == 2:
        return f"{sur.capitalize()} {''.join(giv).capitalize()}"
    return f"{sur.lower()} {' '.join(giv)}"


# --------------------------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------------------------
@dataclass
class Person:
    person_id: str
    surname: str
    surname_py: str
    given: str
    sex: str
    birth_date: date
    national_id: str
    district: str
    address: str
    school_code: str
    indigenous: bool = False
    new_immigrant_parent: bool = False
    traditional_name: str = ""  # registered traditional indigenous name ('巴奈‧達利'), else ''
    traditional_roman: str = ""
    twin_of: str = ""
    namesake_of: str = ""
    sibling_of: str = ""

    @property
    def name(self) -> str:
        return self.traditional_name or self.surname + self.given


def _surname_pool() -> list[tuple[tuple[str, str], float]]:
    return [((s, py), w) for s, py, w in SURNAMES]


def _given_name(rng: random.Random, sex: str) -> str:
    if rng.random() < 0.15:
        return rng.choice(POPULAR_BOY if sex == "M" else POPULAR_GIRL)
    first, second = (BOY_FIRST, BOY_SECOND) if sex == "M" else (GIRL_FIRST, GIRL_SECOND)
    if rng.random() < 0.03:
        return _weighted(rng, second)
    while True:
        a, b = _weighted(rng, first), _weighted(rng, second)
        if a != b:
            return a + b


def _given_sharing_one(rng: random.Random, given: str, sex: str) -> str:
    """A given name differing in exactly one character (twins and siblings often share a generation char)."""
    first, second = (BOY_FIRST, BOY_SECOND) if sex == "M" else (GIRL_FIRST, GIRL_SECOND)
    if len(given) < 2:
        return given + _weighted(rng, second)
    for _ in range(100):
        new = given[0] + _weighted(rng, second) if rng.random() < 0.75 else _weighted(rng, first) + given[1]
        if new != given and new[0] != new[1]:
            return new
    return given[0] + ("恩" if given[1] != "恩" else "翰")


def _address(rng: random.Random, district: str) -> str:
    road = rng.choice(ROADS)
    addr = f"{district}{road}{rng.randint(1, 400)}號"
    if rng.random() < 0.5:
        addr += f"{rng.randint(2, 15)}樓"
    return addr


def _birth_date(rng: random.Random, as_of: date) -> date:
    latest = date(as_of.year - 12, as_of.month, min(as_of.day, 28))
    earliest = date(as_of.year - 18, as_of.month, min(as_of.day, 28)) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def _birth_near(rng: random.Random, base: date, min_days: int, max_days: int, as_of: date) -> date:
    """A birth date min_days..max_days before or after `base` that keeps the person aged 12-17 (no pile-up at the
    bounds: the other direction is tried, then any date in range at least min_days away)."""
    latest = date(as_of.year - 12, as_of.month, min(as_of.day, 28))
    earliest = date(as_of.year - 18, as_of.month, min(as_of.day, 28)) + timedelta(days=1)
    sign = rng.choice((-1, 1))
    offset = rng.randint(min_days, max_days)
    for s in (sign, -sign):
        d = base + timedelta(days=s * offset)
        if earliest <= d <= latest:
            return d
    for _ in range(1000):
        d = _birth_date(rng, as_of)
        if abs((d - base).days) >= min_days:
            return d
    return base


def _traditional_name(rng: random.Random) -> tuple[str, str]:
    def word(n: int) -> tuple[str, str]:
        syl = [rng.choice(INDIGENOUS_SYLLABLES) for _ in range(n)]
        return "".join(r for r, _ in syl), "".join(c for _, c in syl)

    (r1, c1), (r2, c2) = word(rng.choice((2, 2, 3))), word(rng.choice((2, 3)))
    return f"{c1}{INDIGENOUS_DOT}{c2}", f"{r1} {r2}"


SCHOOL_CODES = [f"03{n:04d}" for n in random.Random(20260101).sample(range(1000, 9999), 60)]


def make_people(n: int, rng: random.Random, model: ErrorModel, as_of: date) -> list[Person]:
    used_ids: set[str] = set()
    people: list[Person] = []
    n_twins = int(round(n * model.twin_rate / 2))  # pairs
    n_namesakes = int(round(n * model.namesake_rate))
    n_siblings = int(round(n * model.sibling_rate))
    n_base = max(1, n - n_twins - n_namesakes - n_siblings)
    letters = list(NID_LETTER_WEIGHTS.items())
    sur_pool = _surname_pool()

    def new_id(sex: str) -> str:
        return make_nid(rng, _weighted(rng, letters), sex, used_ids)

    def pid() -> str:
        return f"P{len(people) + 1:06d}"

    for _ in range(n_base):
        sex = rng.choice("MF")
        surname, spy = _weighted(rng, sur_pool)
        district = _weighted(rng, list(DISTRICTS.items()))
        p = Person(
            person_id=pid(),
            surname=surname,
            surname_py=spy,
            given=_given_name(rng, sex),
            sex=sex,
            birth_date=_birth_date(rng, as_of),
            national_id=new_id(sex),
            district=district,
            address=_address(rng, district),
            school_code=rng.choice(SCHOOL_CODES),
            indigenous=rng.random() < (0.5 if district == "復興區" else 0.03),
            new_immigrant_parent=rng.random() < 0.10,
        )
        if p.indigenous and rng.random() < 0.35:
            p.traditional_name, p.traditional_roman = _traditional_name(rng)
        people.append(p)
    bases = list(people)
    # twins: same surname, birth date, address, school; given names sharing one character
    for base in rng.sample(bases, min(n_twins, len(bases))):
        sex = base.sex if rng.random() < 0.6 else ("F" if base.sex == "M" else "M")
        twin = Person(
            person_id=pid(),
            surname=base.surname,
            surname_py=base.surname_py,
            given=_given_sharing_one(rng, base.given, sex),
            sex=sex,
            birth_date=base.birth_date,
            national_id=new_id(sex),
            district=base.district,
            address=base.address,
            school_code=base.school_code,
            indigenous=base.indigenous,
            new_immigrant_parent=base.new_immigrant_parent,
            twin_of=base.person_id,
        )
        if base.traditional_name:
            twin.traditional_name, twin.traditional_roman = _traditional_name(rng)
        base.twin_of = twin.person_id
        people.append(twin)
    # namesakes: same surname and given name, born within 120 days, mostly elsewhere
    popular = [b for b in bases if not b.traditional_name]
    popular.sort(key=lambda b: (b.given not in POPULAR_BOY + POPULAR_GIRL, b.person_id))
    candidates = popular[: max(len(popular) // 3, 1)]
    for _ in range(n_namesakes):
        base = rng.choice(candidates)
        district = base.district if rng.random() < 0.3 else _weighted(rng, list(DISTRICTS.items()))
        people.append(
            Person(
                person_id=pid(),
                surname=base.surname,
                surname_py=base.surname_py,
                given=base.given,
                sex=base.sex,
                birth_date=_birth_near(rng, base.birth_date, 1, 120, as_of),
                national_id=new_id(base.sex),
                district=district,
                address=_address(rng, district),
                school_code=rng.choice(SCHOOL_CODES),
                new_immigrant_parent=rng.random() < 0.10,
                namesake_of=base.person_id,
            )
        )
    # siblings: same surname and address, 1-5 years apart
    for _ in range(n_siblings):
        base = rng.choice(bases)
        sex = rng.choice("MF")
        given = _given_sharing_one(rng, base.given, sex) if rng.random() < 0.5 else _given_name(rng, sex)
        sib = Person(
            person_id=pid(),
            surname=base.surname,
            surname_py=base.surname_py,
            given=given,
            sex=sex,
            birth_date=_birth_near(rng, base.birth_date, 365, 5 * 365, as_of),
            national_id=new_id(sex),
            district=base.district,
            address=base.address,
            school_code=rng.choice(SCHOOL_CODES),
            indigenous=base.indigenous,
            new_immigrant_parent=base.new_immigrant_parent,
            sibling_of=base.person_id,
        )
        if base.traditional_name:
            sib.traditional_name, sib.traditional_roman = _traditional_name(rng)
        people.append(sib)
    return people


# --------------------------------------------------------------------------------------------------------------
# Records and errors
# --------------------------------------------------------------------------------------------------------------
@dataclass
class Record:
    feed: str
    key: str
    person_id: str
    row: dict[str, str]
    errors: list[str] = field(default_factory=list)


def roc(d: date) -> int:
    return d.year - 1911


def fmt_date(d: date | None, style: str) -> str:
    if d is None:
        return ""
    y = roc(d)
    return {
        "iso": f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
        "roc_slash3": f"{y:03d}/{d.month:02d}/{d.day:02d}",
        "roc_slash": f"{y}/{d.month:02d}/{d.day:02d}",
        "roc_compact": f"{y:03d}{d.month:02d}{d.day:02d}",
        "roc_dot": f"{y}.{d.month:02d}.{d.day:02d}",
    }[style]


DATE_STYLES = {
    "school.students": [("iso", 70), ("roc_slash3", 30)],
    "police.contacts": [("roc_compact", 40), ("roc_slash", 30), ("roc_slash3", 20), ("iso", 10)],
    "welfare.reports": [("iso", 50), ("roc_dot", 30), ("roc_slash", 20)],
}
SEX_STYLES = {
    "school.students": {"M": "M", "F": "F"},
    "police.contacts": {"M": "男", "F": "女"},
    "welfare.reports": {"M": "1", "F": "2"},
}


def fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _address_form(rng: random.Random, address: str) -> str:
    r = rng.random()
    if r < 0.3:
        return "桃園市" + address
    if r < 0.4:
        return re.sub(r"\d+樓$", "", address)
    return address


def _mutate_name(
    rng: random.Random, p: Person, feed: str, m: ErrorModel, errors: list[str]
) -> tuple[str, str]:
    """Returns (name, name_romanized) for a non-school row, appending the errors applied."""
    if rng.random() < m.romanised_only:
        errors.append("romanised_only")
        return "", romanise(rng, p)
    if p.traditional_name:
        if rng.random() < m.indigenous_han_name:
            errors.append("indigenous_han_name")
            surname, given = p.surname, p.given
        else:
            name = p.traditional_name
            if rng.random() < m.dot_variant:
                errors.append("dot_variant")
                name = name.replace(INDIGENOUS_DOT, rng.choice(INDIGENOUS_DOT_VARIANTS))
            return name, ""
    else:
        surname, given = p.surname, p.given
    chars = list(surname + given)
    ns = len(surname)
    touched: set[int] = set()

    def position(prefer_given: float = 0.95) -> list[int]:
        idx = [i for i in range(len(chars)) if i not in touched]
        giv = [i for i in idx if i >= ns]
        sur = [i for i in idx if i < ns]
        if giv and (not sur or rng.random() < prefer_given):
            return rng.sample(giv, len(giv))
        return rng.sample(sur, len(sur)) + rng.sample(giv, len(giv))

    for kind, rate, fn in (
        ("homophone", m.homophone, homophone_of),
        ("near_homophone", m.near_homophone, near_homophone_of),
        ("shape", m.shape, shape_of),
    ):
        if rng.random() < rate:
            for i in position():
                new = fn(rng, chars[i])
                if new:
                    chars[i] = new
                    touched.add(i)
                    errors.append(kind)
                    break
    if rng.random() < m.transpose_given and len(chars) - ns == 2 and chars[ns] != chars[ns + 1]:
        chars[ns], chars[ns + 1] = chars[ns + 1], chars[ns]
        errors.append("transpose_given")
    name = "".join(chars)
    if feed == m.simplified_feed and rng.random() < m.simplified:
        s = simplified(name)
        if s != name:
            name = s
            errors.append("simplified")
    if rng.random() < m.variant_char:
        idx = [i for i, c in enumerate(name) if c in VARIANTS]
        if idx:
            i = rng.choice(idx)
            name = name[:i] + VARIANTS[name[i]] + name[i + 1 :]
            errors.append("variant_char")
    if rng.random() < m.name_space and len(name) >= 2:
        cut = len(surname) if rng.random() < 0.7 else rng.randrange(1, len(name))
        name = name[:cut] + rng.choice([" ", " ", "\u3000"]) + name[cut:]
        errors.append("name_space")
    return name, ""


def _mutate_birth(rng: random.Random, d: date, m: ErrorModel, errors: list[str]) -> date:
    if rng.random() < m.roc_as_ad and roc(d) < 100:
        d = (
            d.replace(year=1900 + roc(d))
            if not (d.month == 2 and d.day == 29)
            else d.replace(year=1900 + roc(d), day=28)
        )
        errors.append("roc_as_ad")
    elif rng.random() < m.roc_off_by_one:
        y = d.year + rng.choice((-1, 1))
        d = d.replace(year=y, day=28) if (d.month == 2 and d.day == 29) else d.replace(year=y)
        errors.append("roc_off_by_one")
    if rng.random() < m.dob_day_off:
        d = d + timedelta(days=rng.choice((-1, 1)))
        errors.append("dob_day_off")
    if rng.random() < m.dob_swap_dm and d.day <= 12 and d.day != d.month:
        d = d.replace(month=d.day, day=d.month)
        errors.append("dob_swap_dm")
    return d


def _mutate_nid(rng: random.Random, nid: str, missing: float, m: ErrorModel, errors: list[str]) -> str:
    if rng.random() < missing:
        errors.append("nid_missing")
        return ""
    if rng.random() < m.nid_digit:
        i = rng.randrange(2, 10)
        nid = nid[:i] + rng.choice([d for d in "0123456789" if d != nid[i]]) + nid[i + 1 :]
        errors.append("nid_digit")
    if rng.random() < m.nid_transpose:
        opts = [i for i in range(1, 9) if nid[i] != nid[i + 1]]
        if opts:
            i = rng.choice(opts)
            nid = nid[:i] + nid[i + 1] + nid[i] + nid[i + 2 :]
            errors.append("nid_transpose")
    if rng.random() < m.fullwidth_nid:
        nid = fullwidth(nid)
        errors.append("fullwidth_nid")
    return nid


class _Keys:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def new(self, prefix: str, digits: int) -> str:
        while True:
            k = prefix + "".join(self.rng.choice("0123456789") for _ in range(digits))
            if k not in self.used:
                self.used.add(k)
                return k


POLICE_KINDS = {
    "offence": (
        35,
        [("fraud_mule", 35), ("theft", 25), ("assault", 20), ("drugs", 10), ("weapon", 5), ("other", 5)],
    ),
    "exposure": (15, [("drugs", 50), ("weapon", 35), ("attempt", 15)]),
    "deviant": (35, [("late_night_loitering", 70), ("truancy", 15), ("smoking", 15)]),
    "missing": (15, [("runaway", 70), ("dropout_search", 30)]),
}
POLICE_UNITS = ["桃園分局", "中壢分局", "平鎮分局", "八德分局", "楊梅分局", "蘆竹分局", "龜山分局", "龍潭分局", "大溪分局",
                "大園分局", "少年警察隊"]  # fmt: skip
WELFARE_REASONS = {
    "child_protection": [
        "neglect",
        "physical_abuse",
        "emotional_abuse",
        "sexual_abuse",
        "unattended",
        "drugs_exposure",
    ],
    "fragile_family": [
        "economic_hardship",
        "caregiver_illness",
        "domestic_violence",
        "housing",
        "parenting_stress",
    ],
}


def _event_date(rng: random.Random, p: Person, as_of: date) -> date:
    start = max(
        date(p.birth_date.year + 12, p.birth_date.month, min(p.birth_date.day, 28)),
        as_of - timedelta(days=3 * 365),
    )
    span = max((as_of - start).days, 1)
    return start + timedelta(days=rng.randrange(span))


def _identity_cols(
    rng: random.Random, p: Person, feed: str, m: ErrorModel, errors: list[str], nid_missing: float
) -> dict:
    name, roman = _mutate_name(rng, p, feed, m, errors)
    if not roman and rng.random() < 0.05:  # a romanised name alongside the Chinese one: format, not an error
        roman = romanise(rng, p, han_name="indigenous_han_name" in errors)
    bd = _mutate_birth(rng, p.birth_date, m, errors)
    bd_s = fmt_date(bd, _weighted(rng, DATE_STYLES[feed]))
    if rng.random() < m.fullwidth_date:
        bd_s = fullwidth(bd_s)
        errors.append("fullwidth_date")
    nid = _mutate_nid(rng, p.national_id, nid_missing, m, errors)
    district, address = p.district, p.address
    if rng.random() < m.moved:
        district = _weighted(rng, [(d, w) for d, w in DISTRICTS.items() if d != p.district])
        address = _address(rng, district)
        errors.append("moved")
    sex = SEX_STYLES[feed][p.sex]
    if rng.random() < m.sex_missing:
        sex = ""
        errors.append("sex_missing")
    if rng.random() < 0.1:  # district not filled in: format, not an error
        district = ""
    return {
        "name": name,
        "name_romanized": roman,
        "national_id": nid,
        "birth_date": bd_s,
        "sex": sex,
        "district": district,
        "address": _address_form(rng, address) if rng.random() < 0.85 else "",
    }


def _school_row(
    rng: random.Random, p: Person, m: ErrorModel, keys: _Keys, as_of: date, code: str, left: date | None
):
    errors: list[str] = []
    nid = p.national_id
    if rng.random() < m.nid_missing_school:
        nid = ""
        errors.append("nid_missing")
    cohort = p.birth_date.year + (1 if (p.birth_date.month, p.birth_date.day) >= (9, 2) else 0)
    school_year = as_of.year if as_of.month >= 8 else as_of.year - 1
    grade = min(max(school_year - (cohort + 6) + 1, 1), 12)
    student_no = keys.new(f"{(school_year - 1911) % 100:02d}", 5)
    enrolled = date(
        school_year - (grade - 1 if grade <= 6 else (grade - 7 if grade <= 9 else grade - 10)), 8, 30
    )
    row = {
        "student_no": student_no,
        "school_code": code,
        "name": p.name,
        "name_romanized": "",
        "birth_date": fmt_date(p.birth_date, _weighted(rng, DATE_STYLES["school.students"])),
        "sex": SEX_STYLES["school.students"][p.sex],
        "national_id": nid,
        "grade": str(grade),
        "enrolled_on": fmt_date(enrolled, "iso"),
        "left_on": fmt_date(left, "iso"),
        "indigenous": rng.choice(["Y", "是"]) if p.indigenous else rng.choice(["N", "否"]),
        "new_immigrant_parent": ("Y" if p.new_immigrant_parent else "N"),
        "district": p.district,
        "address": "桃園市" + p.address,
    }
    return Record("school.students", f"{code}/{student_no}", p.person_id, row, errors)


def _police_row(rng: random.Random, p: Person, m: ErrorModel, keys: _Keys, as_of: date) -> Record:
    errors: list[str] = []
    kind = _weighted(rng, [(k, v[0]) for k, v in POLICE_KINDS.items()])
    code = _weighted(rng, POLICE_KINDS[kind][1])
    missing = m.nid_missing_police_offence if kind == "offence" else m.nid_missing_police_other
    ident = _identity_cols(rng, p, "police.contacts", m, errors, missing)
    occurred = _event_date(rng, p, as_of)
    recorded = min(occurred + timedelta(days=rng.randint(0, 10)), as_of)
    style = _weighted(rng, DATE_STYLES["police.contacts"])
    key = keys.new("PC", 8)
    row = {"contact_no": key, **ident, "occurred_on": fmt_date(occurred, style), "recorded_on": fmt_date(recorded, style),
           "kind": kind, "code": code, "unit": rng.choice(POLICE_UNITS)}  # fmt: skip
    return Record("police.contacts", key, p.person_id, row, errors)


def _welfare_row(rng: random.Random, p: Person, m: ErrorModel, keys: _Keys, as_of: date) -> Record:
    errors: list[str] = []
    ident = _identity_cols(rng, p, "welfare.reports", m, errors, m.nid_missing_welfare)
    kind = "child_protection" if rng.random() < 0.6 else "fragile_family"
    reasons = rng.sample(WELFARE_REASONS[kind], rng.choice((1, 1, 2)))
    reported = _event_date(rng, p, as_of)
    closed = reported + timedelta(days=rng.randint(30, 300)) if rng.random() < 0.5 else None
    if closed and closed > as_of:
        closed = None
    style = _weighted(rng, DATE_STYLES["welfare.reports"])
    key = keys.new("WR", 8)
    row = {"report_no": key, **ident, "reported_on": fmt_date(reported, style), "kind": kind,
           "reason_codes": ";".join(reasons), "level": rng.choice(["high", "medium", "medium", "low"]),
           "substantiated": rng.choice(["Y", "N", ""]), "closed_on": fmt_date(closed, style)}  # fmt: skip
    return Record("welfare.reports", key, p.person_id, row, errors)


def make_records(people: list[Person], rng: random.Random, m: ErrorModel, as_of: date) -> list[Record]:
    keys = _Keys(rng)
    records: list[Record] = []
    for p in people:
        k = rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0]
        if (p.twin_of or p.sibling_of) and k == 1:
            k = 2
        n_school = 1 if rng.random() < 0.94 else 0
        if n_school and k >= 2 and rng.random() < 0.05:
            n_school = 2
        if n_school == 2:
            other = rng.choice([c for c in SCHOOL_CODES if c != p.school_code])
            left = as_of - timedelta(days=rng.randint(60, 500))
            records.append(_school_row(rng, p, m, keys, as_of, other, left))
        if n_school:
            records.append(_school_row(rng, p, m, keys, as_of, p.school_code, None))
        for _ in range(k - n_school):
            if rng.random() < 0.5:
                records.append(_police_row(rng, p, m, keys, as_of))
            else:
                records.append(_welfare_row(rng, p, m, keys, as_of))
    rng.shuffle(records)
    return records


# --------------------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------------------
COLUMNS = {
    "school.students": ["student_no", "school_code", "name", "name_romanized", "birth_date", "sex", "national_id",
                        "grade", "enrolled_on", "left_on", "indigenous", "new_immigrant_parent", "district", "address"],
    "police.contacts": ["contact_no", "name", "name_romanized", "national_id", "birth_date", "sex", "district",
                        "address", "occurred_on", "recorded_on", "kind", "code", "unit"],
    "welfare.reports": ["report_no", "name", "name_romanized", "national_id", "birth_date", "sex", "district",
                        "address", "reported_on", "kind", "reason_codes", "level", "substantiated", "closed_on"],
}  # fmt: skip


def choose_encodings(rng: random.Random, m: ErrorModel) -> dict[str, str]:
    if m.cp950_share is None:
        return dict(DEFAULT_ENCODINGS)
    return {
        f: ("cp950" if rng.random() < m.cp950_share else ("utf-8-sig" if f == "school.students" else "utf-8"))
        for f in FEEDS
    }


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def write_feed(path: Path, feed: str, records: list[Record], encoding: str) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS[feed], lineterminator="\r\n")
    w.writeheader()
    for r in records:
        if not _encodable(r.row["name"], encoding):
            r.errors.append("cp950_lossy")
        w.writerow(r.row)
    path.write_bytes(buf.getvalue().encode(encoding, errors="replace"))


def sort_errors(errors: list[str]) -> list[str]:
    order = {e: i for i, e in enumerate(ERROR_ORDER)}
    return sorted(set(errors), key=lambda e: order.get(e, 99))


def generate(
    out_dir: str | Path,
    people: int = 3000,
    seed: int = 1,
    model: ErrorModel | None = None,
    as_of: date = date(2026, 12, 1),
    encodings: dict[str, str] | None = None,
) -> dict:
    """Writes the feeds, truth.csv, persons.csv and manifest.json into out_dir; returns the manifest."""
    model = model or ErrorModel()
    rng = random.Random(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    persons = make_people(people, rng, model, as_of)
    records = make_records(persons, rng, model, as_of)
    enc = {**choose_encodings(rng, model), **(encodings or {})}
    by_feed: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_feed[r.feed].append(r)
    for feed in FEEDS:
        write_feed(out / f"{feed}.csv", feed, by_feed[feed], enc[feed])
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["feed", "record_key", "person_id", "error_types"])
        for feed in FEEDS:
            for r in by_feed[feed]:
                w.writerow([feed, r.key, r.person_id, ";".join(sort_errors(r.errors))])
    with (out / "persons.csv").open("w", encoding="utf-8", newline="") as fh:
        cols = ["person_id", "name", "surname", "given", "sex", "birth_date", "national_id", "district", "address",
                "school_code", "indigenous", "traditional_name", "twin_of", "namesake_of", "sibling_of"]  # fmt: skip
        w = csv.DictWriter(fh, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for p in persons:
            d = asdict(p)
            d["name"] = p.name
            d["birth_date"] = p.birth_date.isoformat()
            w.writerow(d)
    err_counts = Counter(e for r in records for e in set(r.errors))
    manifest = {
        "seed": seed,
        "people": len(persons),
        "as_of": as_of.isoformat(),
        "encodings": enc,
        "records": {f: len(by_feed[f]) for f in FEEDS},
        "records_with_errors": sum(1 for r in records if r.errors),
        "error_counts": dict(sorted(err_counts.items(), key=lambda kv: -kv[1])),
        "knobs": asdict(model),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--as-of", default="2026-12-01", help="reference date: everyone is 12-17 on it")
    ap.add_argument(
        "--knob", action="append", default=[], metavar="NAME=RATE", help="override an ErrorModel field"
    )
    ap.add_argument("--clean", action="store_true", help="start from every rate at 0 (then apply --knob)")
    ap.add_argument(
        "--encoding", action="append", default=[], metavar="FEED=ENC", help="force a file's encoding"
    )
    args = ap.parse_args(argv)
    model = ErrorModel.zero() if args.clean else ErrorModel()
    for kv in args.knob:
        k, _, v = kv.partition("=")
        model.set(k.strip(), v.strip())
    encodings = dict(kv.split("=", 1) for kv in args.encoding)
    manifest = generate(args.out, args.people, args.seed, model, date.fromisoformat(args.as_of), encodings)
    json.dump({k: v for k, v in manifest.items() if k != "knobs"}, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
