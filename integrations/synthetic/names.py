"""Invented Taiwanese names: surnames at realistic frequencies, common given-name characters, indigenous
names, romanisation (Hanyu pinyin and Wade-Giles) and the small corruptions that real records carry.

Every name is a random combination of characters; none is taken from a real person.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# (surname, share in %, Hanyu pinyin, Hakka-heavy). Shares follow the Taiwanese household registration
# statistics (陳 ~11 %, 林 ~8 %, ...); the tail is rounded. Pinyin is given here because the common
# reading of a character is not always its reading as a surname (曾 is Zeng, not Ceng).
SURNAMES: tuple[tuple[str, float, str, bool], ...] = (
    ("陳", 11.1, "chen", False), ("林", 8.3, "lin", False), ("黃", 6.0, "huang", False),
    ("張", 5.3, "zhang", True), ("李", 5.1, "li", False), ("王", 4.1, "wang", False),
    ("吳", 4.0, "wu", False), ("劉", 3.2, "liu", True), ("蔡", 2.9, "cai", False),
    ("楊", 2.6, "yang", False), ("許", 2.3, "xu", False), ("鄭", 1.9, "zheng", False),
    ("謝", 1.8, "xie", False), ("郭", 1.7, "guo", False), ("洪", 1.6, "hong", False),
    ("曾", 1.4, "zeng", True), ("邱", 1.4, "qiu", True), ("廖", 1.3, "liao", False),
    ("賴", 1.3, "lai", False), ("周", 1.2, "zhou", False), ("徐", 1.1, "xu", True),
    ("蘇", 1.1, "su", False), ("葉", 1.1, "ye", True), ("莊", 1.0, "zhuang", False),
    ("呂", 0.9, "lü", False), ("江", 0.9, "jiang", False), ("何", 0.9, "he", False),
    ("蕭", 0.8, "xiao", False), ("羅", 0.8, "luo", True), ("高", 0.8, "gao", False),
    ("潘", 0.7, "pan", False), ("簡", 0.7, "jian", False), ("朱", 0.7, "zhu", False),
    ("鍾", 0.7, "zhong", True), ("彭", 0.6, "peng", True), ("游", 0.6, "you", False),
    ("詹", 0.6, "zhan", False), ("胡", 0.6, "hu", False), ("施", 0.6, "shi", False),
    ("沈", 0.6, "shen", False), ("余", 0.5, "yu", False), ("盧", 0.5, "lu", False),
    ("梁", 0.5, "liang", False), ("趙", 0.5, "zhao", False), ("顏", 0.5, "yan", False),
    ("柯", 0.5, "ke", False), ("翁", 0.5, "weng", False), ("魏", 0.4, "wei", False),
    ("孫", 0.4, "sun", False), ("戴", 0.4, "dai", False), ("范", 0.4, "fan", True),
    ("方", 0.4, "fang", False), ("宋", 0.4, "song", False), ("鄧", 0.4, "deng", False),
    ("溫", 0.3, "wen", True), ("杜", 0.3, "du", False), ("傅", 0.3, "fu", False),
    ("侯", 0.3, "hou", False), ("曹", 0.3, "cao", False), ("薛", 0.3, "xue", False),
    ("丁", 0.3, "ding", False), ("卓", 0.3, "zhuo", False), ("馬", 0.3, "ma", False),
    ("阮", 0.2, "ruan", False), ("董", 0.2, "dong", False), ("唐", 0.2, "tang", False),
    ("藍", 0.2, "lan", False), ("石", 0.2, "shi", False), ("蔣", 0.2, "jiang", False),
    ("古", 0.2, "gu", True), ("紀", 0.2, "ji", False), ("姚", 0.2, "yao", False),
    ("連", 0.2, "lian", False), ("馮", 0.2, "feng", False), ("歐", 0.2, "ou", False),
    ("程", 0.2, "cheng", False), ("湯", 0.2, "tang", False), ("黎", 0.15, "li", False),
    ("田", 0.15, "tian", False), ("康", 0.15, "kang", False), ("姜", 0.15, "jiang", False),
    ("白", 0.15, "bai", False), ("汪", 0.15, "wang", False), ("鄒", 0.15, "zou", False),
    ("尤", 0.12, "you", False), ("巫", 0.12, "wu", True), ("鐘", 0.12, "zhong", True),
    ("涂", 0.12, "tu", True), ("龔", 0.1, "gong", False), ("嚴", 0.1, "yan", False),
    ("韓", 0.1, "han", False), ("袁", 0.1, "yuan", False), ("金", 0.1, "jin", False),
    ("童", 0.1, "tong", False), ("陸", 0.1, "lu", False), ("夏", 0.1, "xia", False),
    ("柳", 0.1, "liu", False), ("邵", 0.1, "shao", False), ("錢", 0.08, "qian", False),
    ("伍", 0.08, "wu", False), ("倪", 0.08, "ni", False), ("張簡", 0.05, "zhang jian", False),
    ("歐陽", 0.03, "ou yang", False),
)  # fmt: skip

# Given-name characters by position and sex, with relative weights (names of people born 2003-2013).
_BOY_FIRST = (
    "承5 宇4 冠4 柏4 品3 宥3 家4 彥3 子3 俊3 昱3 博2 睿2 哲2 建2 志2 明1 育2 立1 浩2 嘉1 信1 威1 宏2 耀1 "
    "晨1 恩1 泓1 翊2 祐1 凱1 敬1 友1 秉1 士1 詠1 宸1 定1 政1 銘1 振1 書1 奕1 東1 國1 偉1 維1 華1"
)
_BOY_SECOND = (
    "恩4 翔4 宇4 翰4 睿3 廷4 豪3 霖2 佑3 傑3 皓2 維2 偉2 銘2 安2 叡1 崴1 勳1 凱1 杰1 宏2 德1 哲2 瑋2 "
    "軒2 澤1 呈1 鈞1 誠1 諺1 源1 賢1 庭1 華1 東1 綸1 穎1 辰2 祥1"
)
_GIRL_FIRST = (
    "品4 子4 詠3 宜3 思3 語2 芷2 怡3 欣3 羽2 可2 雅3 佳3 郁2 婉2 心2 以2 沛1 宥2 姿1 亭1 采1 筱2 涵1 "
    "詩2 玟1 依2 芊1 昀1 映1 家1 靜1 巧1 珮1 慧1 美1 書1 若1 紫1 華1 瑋1"
)
_GIRL_SECOND = (
    "妍4 晴4 蓁3 妤4 彤3 君3 婷4 萱4 涵3 瑄3 庭2 潔2 慈2 穎2 如2 安2 恩3 芸2 柔2 儀2 琳2 瑜2 璇1 綺1 "
    "甄1 伶1 真1 嫻1 榆1 岑1 歆1 希1 馨1 寧1 宣1 雯1 瑩1 華1"
)
# Whole given names that many children share.
_BOY_POPULAR = (
    "家豪 承恩 宇翔 冠宇 柏翰 品睿 宥廷 彥廷 承翰 宇恩 子睿 冠廷 柏宇 俊宇 家瑋 冠霖 睿恩 宇軒 承佑 建宏 "
    "志豪 俊傑 柏睿 品翰 浩宇 翊翔 祐廷 宥辰 彥宇 家銘"
)
_GIRL_POPULAR = (
    "怡君 品妍 子晴 詠晴 宜蓁 思妤 語彤 芷晴 欣妤 羽彤 可欣 雅婷 佳穎 郁婷 心妤 以晴 宥蓁 品涵 子涵 詩涵 "
    "筱涵 姿穎 宜庭 佳蓁 怡萱 雅涵 欣妍 思涵 語晴 子瑜"
)
_BOY_SINGLE = "傑 豪 翔 宇 凱 皓"
_GIRL_SINGLE = "婷 涵 萱 晴 妍 瑜"

# Groups of characters read alike (same toneless Mandarin syllable), used for homophone typos.
HOMOPHONES: tuple[str, ...] = (
    "宇羽語雨予玉育昱郁", "翔祥詳", "廷庭婷亭", "豪浩皓昊", "睿瑞叡", "翰漢瀚", "佑祐宥右又幼",
    "瑜榆俞愉", "晴情清", "君均鈞軍", "宜怡儀依以", "萱宣瑄軒璇", "涵函寒含", "彤桐童同", "霖琳林",
    "傑杰捷", "偉瑋維唯惟", "凱愷鎧", "銘明名鳴", "恩", "柏伯博", "冠官觀", "承呈誠成程", "品聘",
    "彥諺燕", "俊駿峻", "嘉家佳", "妍言研", "蓁真甄珍", "妤于", "婉宛", "雅亞", "詠永勇",
    "欣心新馨歆", "芷志智", "子紫梓", "思斯", "語雨", "潔傑", "穎瑩盈", "慈辭", "如儒", "芸雲勻",
    "柔揉", "安庵", "宏弘泓紅", "建健劍", "志智致", "黃王", "徐許", "張章", "楊陽揚", "吳伍巫",
    "劉柳", "陳程", "林霖琳",
)  # fmt: skip

# Traditional -> Simplified for the characters that occur above and differ (a Simplified variant of a
# name is what a clerk's input method or a mainland-born parent's form may produce).
SIMPLIFIED: dict[str, str] = dict(
    zip(
        "陳張劉黃楊東華國維偉傑鄭謝葉蕭羅鍾許賴蘇呂莊盧趙顏孫鄧馮歐湯蔣紀連錢韓龔嚴陸鄒"
        "翰瑋銘凱勳詠語穎潔儀瑩賢綺軒靜寧鈞龍興義愛樂傳書詩誠諺綸馬藍溫鐘"
        "筱嘉婉彥俊",
        "陈张刘黄杨东华国维伟杰郑谢叶萧罗钟许赖苏吕庄卢赵颜孙邓冯欧汤蒋纪连钱韩龚严陆邹"
        "翰玮铭凯勋咏语颖洁仪莹贤绮轩静宁钧龙兴义爱乐传书诗诚谚纶马蓝温钟"
        "筱嘉婉彦俊",
        strict=True,
    )
)
SIMPLIFIED = {k: v for k, v in SIMPLIFIED.items() if k != v}

# Invented indigenous-name syllables written in Chinese characters, each with its romanised form.
# Combinations such as 瓦旦·諾幹 / Watan Nokan are made up; they only have the shape of real names.
INDIGENOUS_SYLLABLES: tuple[tuple[str, str], ...] = (
    ("瓦", "wa"), ("旦", "tan"), ("尤", "yu"), ("幹", "kan"), ("拉", "la"), ("娃", "wa"), ("比", "pi"),
    ("令", "ling"), ("達", "ta"), ("利", "li"), ("馬", "ma"), ("紹", "sau"), ("伊", "i"), ("凡", "van"),
    ("諾", "no"), ("巴", "pa"), ("奈", "nai"), ("谷", "ku"), ("布", "bu"), ("亞", "ya"), ("莎", "sa"),
    ("夫", "fu"), ("哈", "ha"), ("勇", "yung"), ("撒", "sa"), ("吉", "ki"), ("娜", "na"), ("蘭", "lan"),
    ("路", "lu"), ("卡", "ka"), ("魯", "lu"), ("曼", "man"), ("浪", "lang"), ("依", "i"), ("雅", "ya"),
    ("給", "kei"), ("索", "so"), ("嘎", "ga"), ("洛", "lo"), ("蕾", "lei"),
)  # fmt: skip

MIDDLE_DOT = "\u00b7"


def _parse_weighted(spec: str) -> tuple[list[str], np.ndarray]:
    chars, weights = [], []
    for token in spec.split():
        chars.append(token[0])
        weights.append(float(token[1:]))
    w = np.asarray(weights)
    return chars, w / w.sum()


class NamePools:
    """Character tables as arrays, ready for vectorised sampling."""

    def __init__(self) -> None:
        self.surnames = [s[0] for s in SURNAMES]
        weights = np.asarray([s[1] for s in SURNAMES])
        self.surname_p = weights / weights.sum()
        hakka = np.asarray([s[3] for s in SURNAMES])
        hakka_w = weights * np.where(hakka, 1.5, 1.0)
        self.surname_p_hakka = hakka_w / hakka_w.sum()
        self.surname_pinyin = {s[0]: s[2] for s in SURNAMES}
        self.first = {"M": _parse_weighted(_BOY_FIRST), "F": _parse_weighted(_GIRL_FIRST)}
        self.second = {"M": _parse_weighted(_BOY_SECOND), "F": _parse_weighted(_GIRL_SECOND)}
        self.popular = {"M": _BOY_POPULAR.split(), "F": _GIRL_POPULAR.split()}
        self.single = {"M": _BOY_SINGLE.split(), "F": _GIRL_SINGLE.split()}
        self.homophone_of: dict[str, str] = {}
        for group in HOMOPHONES:
            for ch in group:
                others = "".join(c for c in group if c != ch)
                if not others:
                    continue
                merged = self.homophone_of.get(ch, "") + others
                self.homophone_of[ch] = "".join(dict.fromkeys(merged))

    def given_names(self, rng: np.random.Generator, sexes: np.ndarray) -> list[str]:
        """One invented given name per entry of ``sexes`` ("M"/"F")."""
        n = len(sexes)
        out = [""] * n
        kind = rng.random(n)
        for sex in ("M", "F"):
            idx = np.flatnonzero(sexes == sex)
            if idx.size == 0:
                continue
            k = kind[idx]
            popular = self.popular[sex]
            zipf = 1.0 / np.arange(1, len(popular) + 1) ** 0.6
            pop_pick = rng.choice(len(popular), size=idx.size, p=zipf / zipf.sum())
            single = self.single[sex]
            single_pick = rng.integers(0, len(single), size=idx.size)
            fchars, fp = self.first[sex]
            schars, sp = self.second[sex]
            f_pick = rng.choice(len(fchars), size=idx.size, p=fp)
            s_pick = rng.choice(len(schars), size=idx.size, p=sp)
            for j, i in enumerate(idx):
                if k[j] < 0.08:
                    out[i] = popular[pop_pick[j]]
                elif k[j] < 0.11:
                    out[i] = single[single_pick[j]]
                else:
                    a, b = fchars[f_pick[j]], schars[s_pick[j]]
                    out[i] = a + b if a != b else a + schars[(s_pick[j] + 1) % len(schars)]
        return out

    def indigenous_names(self, rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
        """Invented (Chinese-with-middle-dot, romanised) indigenous names."""
        syl = INDIGENOUS_SYLLABLES
        out = []
        lengths = rng.integers(2, 4, size=(n, 2))
        picks = rng.integers(0, len(syl), size=(n, 6))
        for i in range(n):
            parts_zh, parts_ro = [], []
            col = 0
            for part in range(2):
                zh, ro = "", ""
                for _ in range(lengths[i, part]):
                    c, r = syl[picks[i, col]]
                    zh += c
                    ro += r
                    col += 1
                parts_zh.append(zh)
                parts_ro.append(ro.capitalize())
            out.append((MIDDLE_DOT.join(parts_zh), " ".join(parts_ro)))
        return out


# ---------------------------------------------------------------------------------------------------
# Romanisation
# ---------------------------------------------------------------------------------------------------


# Readings used in Taiwanese names where pypinyin's default differs (柏 is bó in Taiwan: "Po-Han").
TAIWAN_READINGS = {"柏": "bo", "崴": "wei"}


@lru_cache(maxsize=4096)
def char_pinyin(ch: str) -> str:
    """Toneless Hanyu pinyin of one character ("ü" kept), with the Taiwanese reading of name characters."""
    from pypinyin import Style, lazy_pinyin

    if ch in TAIWAN_READINGS:
        return TAIWAN_READINGS[ch]
    return lazy_pinyin(ch, style=Style.NORMAL, v_to_u=True)[0]


_WG_INITIALS = (
    ("zh", "ch"), ("ch", "ch'"), ("sh", "sh"), ("b", "p"), ("p", "p'"), ("m", "m"), ("f", "f"),
    ("d", "t"), ("t", "t'"), ("n", "n"), ("l", "l"), ("g", "k"), ("k", "k'"), ("h", "h"), ("j", "ch"),
    ("q", "ch'"), ("x", "hs"), ("r", "j"), ("z", "ts"), ("c", "ts'"), ("s", "s"), ("y", "y"), ("w", "w"),
)  # fmt: skip
_WG_WHOLE = {
    "zhi": "chih", "chi": "ch'ih", "shi": "shih", "ri": "jih", "zi": "tzu", "ci": "tz'u", "si": "ssu",
    "er": "erh", "yi": "i", "you": "yu", "yu": "yü", "yue": "yüeh", "yuan": "yüan", "yun": "yün",
    "ye": "yeh", "yan": "yen", "yong": "yung", "ge": "ko", "ke": "k'o", "he": "ho", "e": "o",
}  # fmt: skip


@lru_cache(maxsize=4096)
def wade_giles(syllable: str) -> str:
    """Wade-Giles spelling (with apostrophes and umlauts) of one toneless pinyin syllable."""
    s = syllable.lower()
    if s in _WG_WHOLE:
        return _WG_WHOLE[s]
    initial, wg_initial = "", ""
    for p_init, w_init in _WG_INITIALS:
        if s.startswith(p_init):
            initial, wg_initial = p_init, w_init
            break
    final = s[len(initial) :]
    if initial in ("j", "q", "x") and final.startswith("u"):
        final = "ü" + final[1:]
    if final == "ong":
        final = "ung"
    elif final == "iong":
        final = "iung"
    elif final == "ian":
        final = "ien"
    elif final == "ie":
        final = "ieh"
    elif final in ("üe", "ue"):
        final = "üeh"
    elif final == "uo" and initial not in ("g", "k", "h", "sh"):
        final = "o"
    elif final == "ui" and initial in ("g", "k"):
        final = "uei"
    elif final == "e" and initial in ("g", "k", "h"):
        final = "o"
    return wg_initial + final


def _plain(text: str) -> str:
    return text.replace("'", "").replace("ü", "u")


def surname_syllables(surname: str, pools: NamePools) -> list[str]:
    """Pinyin syllables of a surname, using its reading as a surname where it is listed."""
    listed = pools.surname_pinyin.get(surname)
    return listed.split() if listed else [char_pinyin(c) for c in surname]


def romanise(surname: str, given: str, *, style: str, variant: int, pools: NamePools) -> str:
    """Romanise a Chinese name in ``style`` ("pinyin" or "wade_giles"); ``variant`` picks case and order.

    Variants cover what forms and passports show: ``CHEN CHIA-HAO``, ``Chia-Hao Chen``,
    ``chen jiahao``, ``CHEN, JIAHAO``, ``Jia Hao Chen``.
    """
    sur_syl = surname_syllables(surname, pools)
    giv_syl = [char_pinyin(c) for c in given]
    if style == "wade_giles":
        sur_syl = [wade_giles(s) for s in sur_syl]
        giv_syl = [wade_giles(s) for s in giv_syl]
    sur = _plain("".join(sur_syl)).capitalize()
    parts = [_plain(s) for s in giv_syl]
    v = variant % 5
    if v == 0:
        return f"{sur} {'-'.join(parts).capitalize()}".upper()
    if v == 1:
        return f"{'-'.join(p.capitalize() for p in parts)} {sur}"
    if v == 2:
        return f"{sur} {''.join(parts)}".lower()
    if v == 3:
        return f"{sur}, {''.join(parts)}".upper()
    return f"{' '.join(p.capitalize() for p in parts)} {sur}"


def canonical_romanisation(surname: str, given: str, pools: NamePools) -> str:
    """Pinyin written surname first, e.g. ``Chen Jiahao`` (used in the ground truth)."""
    sur = "".join(surname_syllables(surname, pools))
    return f"{_plain(sur).capitalize()} {_plain(''.join(char_pinyin(c) for c in given)).capitalize()}"
