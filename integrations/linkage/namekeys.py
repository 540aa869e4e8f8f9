"""Name keys for record linkage: Traditional-Chinese normalisation, surname splitting, pinyin, and a coarse
phonetic key on which a Chinese name and any romanisation of it (Hanyu pinyin or Wade-Giles) agree.

Pure functions, cached; independent of the synthetic generator.

* :func:`to_traditional` -- Simplified -> Traditional (OpenCC ``s2t``, character by character, with the
  Traditional characters that ``s2t`` would wrongly change protected), middle dots and whitespace removed.
* :func:`split_name` -- (surname, given), compound surnames included; indigenous names have no surname.
* :func:`pinyin_syllables` -- toneless pinyin of a Chinese name, surname readings (曾 zeng) applied.
* :func:`romanized_syllables` -- a romanised name (pinyin or Wade-Giles, any case, order, separators, or run
  together) as syllables in pinyin spelling.
* :func:`coarse` / :func:`phonetic_key` -- a coarse, order-insensitive code that collapses what a
  romanisation cannot tell apart (b/p, d/t, g/k without apostrophes; Wade-Giles ``ch`` = zh/ch/j/q ...).
* :func:`name_key` -- all of the above for one record.

Wade-Giles without apostrophes is ambiguous (``chi`` = ji or qi, ``po`` = bo or po); romanised syllables are
returned in one pinyin spelling and :func:`coarse` maps every reading of an ambiguous spelling to one code.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import opencc
from pypinyin import Style, lazy_pinyin

__all__ = [
    "coarse",
    "name_key",
    "phonetic_key",
    "pinyin_syllables",
    "romanized_syllables",
    "split_name",
    "to_traditional",
]

_CACHE = 1 << 17  # distinct names per cache; the city has ~300,000 records

# ---------------------------------------------------------------------------------------------------
# Traditional characters
# ---------------------------------------------------------------------------------------------------

_S2T = opencc.OpenCC("s2t")

# Traditional characters (all in Big5) that s2t converts although they are correct as written in a
# Taiwanese name: surnames 于 余 范 游 涂 岳 后 干 占 咸 朴 台, given-name characters 郁 采 杰 峰 筑 群 岩 ...
# (s2t would write 於 餘 範 遊 塗 嶽 後 幹 佔 鹹 樸 臺 鬱 採 傑 峯 築 羣 巖). Characters that are only
# Simplified (钟 叶 庄 陈 ...) are converted; so is 温 -> 溫.
KEEP_TRADITIONAL = frozenset("于余范游涂郁采杰峰岳后干占咸朴台筑里征群岩沄苧")

# Middle dots written between the parts of an indigenous name, and look-alikes clerks type instead.
MIDDLE_DOTS = "\u00b7\u0387\u2027\u2022\u2219\u22c5\u30fb\u318d\uff65\uff0e.\u119e\u2e31\ua78f\u2024\ufe52"
_DOT_RE = re.compile("[" + re.escape(MIDDLE_DOTS) + "]")
_STRIP_RE = re.compile(r"[\s" + re.escape(MIDDLE_DOTS) + "]+")

_HAN_RE = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")

_CHAR_T: dict[str, str] = {}


def _char_traditional(ch: str) -> str:
    out = _CHAR_T.get(ch)
    if out is None:
        out = ch if ch.isascii() or ch in KEEP_TRADITIONAL else _S2T.convert(ch)
        _CHAR_T[ch] = out
    return out


@lru_cache(maxsize=_CACHE)
def to_traditional(text: str) -> str:
    """``text`` in Traditional characters, without middle dots and whitespace.

    Converted character by character (a name is not a phrase), so a Traditional name is returned unchanged.
    """
    if not text:
        return ""
    text = _STRIP_RE.sub("", unicodedata.normalize("NFKC", text))
    return "".join(_char_traditional(ch) for ch in text)


# ---------------------------------------------------------------------------------------------------
# Surnames
# ---------------------------------------------------------------------------------------------------

# Taken as the surname when the name has at least three characters.
COMPOUND_SURNAMES = frozenset(
    (
        # Taiwanese double surnames
        "張簡", "范姜", "張廖", "廖簡", "周黃", "陳黃", "江謝",
        # classical compound surnames
        "歐陽", "司馬", "諸葛", "上官", "司徒", "夏侯", "皇甫", "公孫", "東方", "令狐", "慕容", "宇文",
        "長孫", "尉遲", "單于", "淳于", "端木", "軒轅", "呼延", "赫連", "澹臺", "澹台", "萬俟", "万俟",
    )
)  # fmt: skip

# Readings of characters as surnames where they differ from the common reading (pypinyin's default).
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "曾": ("zeng",), "單": ("shan",), "解": ("xie",), "仇": ("qiu",), "區": ("ou",), "查": ("zha",),
    "樂": ("yue",), "覃": ("qin",), "繆": ("miao",), "朴": ("piao",), "召": ("shao",), "華": ("hua",),
    "黑": ("he",), "万": ("wan",), "萬": ("wan",), "蓋": ("ge",), "種": ("chong",), "任": ("ren",),
    "沈": ("shen",), "何": ("he",), "賈": ("jia",), "葉": ("ye",), "翟": ("zhai",), "祭": ("zhai",),
    "粘": ("nian",), "柏": ("bo",), "隗": ("wei",), "乜": ("nie",), "員": ("yun",), "秘": ("bi",),
    "重": ("chong",), "宓": ("fu",), "藏": ("zang",), "折": ("she",), "句": ("gou",), "都": ("du",),
    "尉遲": ("yu", "chi"), "長孫": ("zhang", "sun"), "單于": ("chan", "yu"), "萬俟": ("mo", "qi"),
    "万俟": ("mo", "qi"), "澹臺": ("tan", "tai"), "澹台": ("tan", "tai"),
}  # fmt: skip

# Readings of given-name characters in Taiwan where pypinyin's default is the mainland reading.
NAME_READINGS: dict[str, str] = {"柏": "bo", "崴": "wei"}


@lru_cache(maxsize=_CACHE)
def split_name(name: str) -> tuple[str, str]:
    """(surname, given) of a Chinese name, in Traditional characters.

    Compound surnames (歐陽, 張簡, ...) are taken when the name has three or more characters. An indigenous
    name (written with a middle dot, or longer than four characters) has no surname: ("", whole name);
    neither has a name without Chinese characters.
    """
    if not name:
        return ("", "")
    trad = to_traditional(name)
    if not trad:
        return ("", "")
    if _DOT_RE.search(unicodedata.normalize("NFKC", name)) or len(trad) > 4 or not _HAN_RE.search(trad):
        return ("", trad)
    if len(trad) >= 3 and trad[:2] in COMPOUND_SURNAMES:
        return (trad[:2], trad[2:])
    return (trad[:1], trad[1:])


# ---------------------------------------------------------------------------------------------------
# Pinyin of Chinese names
# ---------------------------------------------------------------------------------------------------

_CHAR_PY: dict[str, str] = {}


def _char_pinyin(ch: str) -> str:
    """Toneless pinyin of one character ("" if it is not Chinese), ü folded to u."""
    out = _CHAR_PY.get(ch)
    if out is None:
        out = NAME_READINGS.get(ch, "")
        if not out:
            read = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
            out = read[0] if read else ""
            out = out.replace("v", "u").replace("ü", "u").replace("ê", "e")
            # A syllabic nasal (嗯 ń, 唔 ḿ) is an interjection's reading; in a name the character is read en, m(u).
            out = {"n": "en", "ng": "en", "m": "mu", "hm": "mu"}.get(out, out)
            if not (out.isascii() and out.isalpha()):
                out = ""
        _CHAR_PY[ch] = out
    return out


def _chars_pinyin(text: str) -> list[str]:
    return [p for p in map(_char_pinyin, text) if p]


@lru_cache(maxsize=_CACHE)
def _name_pinyin(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(surname syllables, given syllables)."""
    surname, given = split_name(name)
    sur = SURNAME_READINGS.get(surname) or tuple(_chars_pinyin(surname))
    return sur, tuple(_chars_pinyin(given))


def pinyin_syllables(name: str) -> tuple[str, ...]:
    """Toneless lower-case pinyin syllables of a Chinese name (Simplified or Traditional, dots ignored).

    The surname is read as a surname (曾 zeng, 單 shan, 尉遲 yu chi); ü is written u (呂 lu); characters
    that are not Chinese are skipped.
    """
    sur, given = _name_pinyin(name or "")
    return sur + given


# ---------------------------------------------------------------------------------------------------
# Syllable inventory: pinyin and Wade-Giles spellings -> one pinyin spelling
# ---------------------------------------------------------------------------------------------------

_TONE_MARKS = str.maketrans(
    "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ",
    "aaaaeeeeiiiioooouuuuvvvvvnnnm",
)


def _pinyin_inventory() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows for U+4E00-U+9FFF (ü folded to u, no m/n/ng/hm)."""
    from pypinyin.pinyin_dict import pinyin_dict

    readings = ",".join(v for cp, v in pinyin_dict.items() if 0x4E00 <= cp <= 0x9FFF)
    out = set()
    for syl in readings.translate(_TONE_MARKS).split(","):
        syl = syl.replace("v", "u")
        if syl.isascii() and syl.isalpha() and any(c in "aeiou" for c in syl):
            out.add(syl)
    return frozenset(out)


_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r",
             "z", "c", "s", "y", "w")  # fmt: skip
_WG_INITIAL = {
    "b": "p", "p": "p'", "d": "t", "t": "t'", "g": "k", "k": "k'", "j": "ch", "q": "ch'", "x": "hs",
    "zh": "ch", "ch": "ch'", "r": "j", "z": "ts", "c": "ts'",
}  # fmt: skip
_WG_WHOLE = {
    "zhi": ("chih",), "chi": ("ch'ih",), "shi": ("shih",), "ri": ("jih",), "zi": ("tzu", "tsu"),
    "ci": ("tz'u", "ts'u"), "si": ("ssu", "szu"), "er": ("erh",), "yi": ("i", "yi"), "you": ("yu",),
    "yu": ("yu",), "yue": ("yueh",), "yuan": ("yuan",), "yun": ("yun",), "ye": ("yeh",), "yan": ("yen",),
    "yong": ("yung",), "ge": ("ko",), "ke": ("k'o",), "he": ("ho",), "e": ("o", "e"),
}  # fmt: skip


def _split(syl: str) -> tuple[str, str]:
    """(initial, final) of a pinyin syllable; the initial is "" for a syllable that starts with a vowel."""
    for ini in _INITIALS:
        if syl.startswith(ini) and len(syl) > len(ini):
            return ini, syl[len(ini) :]
    return "", syl


def _wade_giles(syl: str) -> tuple[str, ...]:
    """Wade-Giles spellings of one pinyin syllable, with aspiration apostrophes, without umlauts/circumflex."""
    if syl in _WG_WHOLE:
        return _WG_WHOLE[syl]
    ini, fin = _split(syl)
    if fin == "ong":
        fin = "ung"
    elif fin == "iong":
        fin = "iung"
    elif fin == "ian":
        fin = "ien"
    elif fin in ("ie", "ue"):  # ue: jue que xue lue nue (ü)
        fin += "h"
    elif fin == "uo" and ini not in ("g", "k", "h", "sh"):
        fin = "o"
    out = [_WG_INITIAL.get(ini, ini) + fin]
    if fin == "ui":  # kuei; huei, tuei ... are common too
        out.insert(0 if ini in ("g", "k") else 1, _WG_INITIAL.get(ini, ini) + "uei")
    return tuple(out)


# Class of each pinyin initial in the coarse code: aspirated/unaspirated pairs, and the initials that
# Wade-Giles (ch = zh/ch/j/q, ts = z/c) or careless spelling (x/sh/s) does not keep apart, share a class.
_COARSE_INITIAL = {
    "b": "b", "p": "b", "d": "d", "t": "d", "g": "g", "k": "g", "j": "z", "q": "z", "zh": "z", "ch": "z",
    "z": "z", "c": "z", "x": "s", "sh": "s", "s": "s",
}  # fmt: skip


def _coarse_code(syl: str) -> str:
    """Coarse code of one pinyin syllable (see :func:`coarse`)."""
    ini, fin = _split(syl)
    cls = _COARSE_INITIAL.get(ini, ini)
    if ini == "r" and fin in ("u", "uan", "un"):  # Wade-Giles ju/juan/jun = pinyin ru/ruan/run
        cls = "z"
    if fin == "uo":  # Wade-Giles to/lo/no/tso/cho = duo/luo/nuo/zuo/zhuo
        fin = "o"
    if cls == "z" and fin in ("i", "u"):  # chi = ji/qi/chi, chih = zhi, tzu/tsu = zi/zu, chu = zhu/ju
        fin = "i"
    elif cls == "y" and fin == "ou":  # Wade-Giles yu = you, yü = yu
        fin = "u"
    elif cls == "" and fin == "o":  # Wade-Giles o = e
        fin = "e"
    return cls + fin


PINYIN, WADE_GILES = 0, 1  # romanisation systems


class _Tables:
    """Syllable inventory, built once on first use (~0.03 s)."""

    def __init__(self) -> None:
        pinyin = sorted(_pinyin_inventory())
        self.pinyin = frozenset(pinyin)
        # written form -> the pinyin syllable returned for it when the text is read as pinyin / Wade-Giles
        self.spelling: tuple[dict[str, str], dict[str, str]] = ({}, {})
        self.readings: dict[str, set[str]] = {}  # written form -> every pinyin syllable it may stand for
        for syl in pinyin:
            self._add(PINYIN, syl, syl)
        for written, syl in (("lv", "lu"), ("nv", "nu"), ("lve", "lue"), ("nve", "nue")):
            self._add(PINYIN, written, syl)
        for syl in pinyin:  # pinyin written with -uei (huei, ruei)
            if syl.endswith("ui") and len(syl) > 2:
                self._add(PINYIN, syl[:-2] + "uei", syl)
        wg = [(w, syl) for syl in pinyin for w in _wade_giles(syl)]
        wg += [("lyu", "lu"), ("nyu", "nu")]
        for w, syl in wg:  # with apostrophes: exact
            self._add(WADE_GILES, w, syl)
        for w, syl in wg:  # without: ambiguous; the unaspirated reading is kept ...
            self._add(WADE_GILES, w.replace("'", ""), syl)
        wg_readings: dict[str, set[str]] = {}
        for w, syl in wg:
            wg_readings.setdefault(w.replace("'", ""), set()).add(syl)
        for w, syls in wg_readings.items():  # ... unless one reading is spelled as written (chen, po, kuo)
            if w in syls:
                self.spelling[WADE_GILES][w] = w
        self.written = self.spelling[PINYIN].keys() | self.spelling[WADE_GILES].keys()
        self.code = {syl: _coarse_code(syl) for syl in pinyin}
        self.max_len = max(map(len, self.written))

    def _add(self, system: int, written: str, syl: str) -> None:
        self.readings.setdefault(written, set()).add(syl)
        self.spelling[system].setdefault(written, syl)

    def read(self, written: str, system: int) -> str:
        """The pinyin syllable for ``written`` in a text read as ``system``."""
        own = self.spelling[system].get(written)
        return own if own is not None else self.spelling[1 - system][written]


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    return _Tables()


# ---------------------------------------------------------------------------------------------------
# Romanised names
# ---------------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u00b4\u02bc\u02bb\u2032\uff07", "'"))
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD_RE = re.compile(r"[a-z']+")
# An apostrophe after p t k ch ts tz marks aspiration (Wade-Giles); anywhere else it separates syllables.
_SEPARATOR_RE = re.compile(r"(?<![ptkhsz])'")


def _segment(token: str, system: int) -> tuple[list[str], int, list[int]] | None:
    """Syllables (pinyin spelling) that spell ``token``, how many are spelled foreign to ``system``, and
    their written lengths.

    The fewest syllables; on a tie, the fewest spellings foreign to ``system`` (as pinyin ``shihan`` is
    shi-han, as Wade-Giles shih-an), then the longest syllables first (``chengen`` is cheng-en). A doubled
    syllable (``nana``, ``tingting``) is read as two. None if ``token`` is no sequence of syllables.
    """
    tables = _tables()
    written, native, max_len = tables.written, tables.spelling[system], tables.max_len
    if token in written:  # one syllable: nothing is fewer
        return [tables.read(token, system)], int(token not in native), [len(token)]
    n = len(token)
    half = n // 2
    if n % 2 == 0 and token[:half] == token[half:] and token[:half] in written:
        return [tables.read(token[:half], system)] * 2, 2 * (token[:half] not in native), [half, half]
    # best[i]: (syllables, foreign spellings) of the best reading of token[i:], or None
    best: list[tuple[int, int] | None] = [None] * (n + 1)
    best[n] = (0, 0)
    for i in range(n - 1, -1, -1):
        top = None
        for j in range(i + 1, min(n, i + max_len) + 1):
            rest = best[j]
            piece = token[i:j]
            if rest is not None and piece in written:
                cost = (rest[0] + 1, rest[1] + (piece not in native))
                if top is None or cost < top:
                    top = cost
        best[i] = top
    if best[0] is None:
        return None
    out, lengths, i = [], [], 0
    while i < n:
        count, foreign = best[i]  # type: ignore[misc]
        for j in range(min(n, i + max_len), i, -1):
            piece = token[i:j]
            if piece in written and best[j] == (count - 1, foreign - (piece not in native)):
                out.append(tables.read(piece, system))
                lengths.append(j - i)
                i = j
                break
    return out, best[0][1], lengths


@lru_cache(maxsize=_CACHE)
def _word_syllables(word: str, system: int) -> tuple[tuple[str, ...], int, tuple[int, ...]]:
    """A word's syllables read in ``system``, how many are spelled foreign to it, their written lengths."""
    out: list[str] = []
    lengths: list[int] = []
    foreign = 0
    for part in _SEPARATOR_RE.split(word):
        part = part.strip("'")
        if not part:
            continue
        found = _segment(part, system) or _segment(part.replace("'", ""), system)
        if found is None:  # not Chinese (an indigenous or foreign name): the word itself
            letters = word.replace("'", "")
            return ((letters,) if letters else ()), 0, (len(letters),)
        out.extend(found[0])
        foreign += found[1]
        lengths.extend(found[2])
    return tuple(out), foreign, tuple(lengths)


@lru_cache(maxsize=_CACHE)
def romanized_syllables(text: str) -> tuple[str, ...]:
    """Syllables, in pinyin spelling and in written order, of a name romanised in pinyin or Wade-Giles.

    Any case; apostrophes, umlauts and tone marks optional; words separated by spaces, hyphens or commas,
    or run together (``jiahao``, ``chihchiang``: the fewest syllables, see :func:`_segment`). The whole
    name is read as pinyin or as Wade-Giles, whichever spells more of it. Where Wade-Giles without
    apostrophes is ambiguous, the reading spelled as written is returned if there is one (``chen``, ``po``),
    else the unaspirated one (``chia`` -> jia); :func:`coarse` does not tell them apart anyway.
    A word that cannot be read as Chinese syllables (``Walis``) is returned whole, lower-cased.
    """
    if not text:
        return ()
    if not text.isascii():  # curly apostrophes, umlauts, tone marks, full-width letters
        text = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = _CAMEL_RE.sub(" ", text).lower()
    words = _WORD_RE.findall(text.replace("`", "'"))
    as_pinyin = [_word_syllables(w, PINYIN) for w in words]
    as_wade_giles = [_word_syllables(w, WADE_GILES) for w in words]
    # Read the whole name in the system that explains more of its spellings; if both explain all, the
    # reading with the longer syllables first (``hungen`` is hung-en, not hun-gen).
    foreign_p, foreign_w = sum(w[1] for w in as_pinyin), sum(w[1] for w in as_wade_giles)
    chosen = as_pinyin
    if foreign_w < foreign_p:
        chosen = as_wade_giles
    elif foreign_w == foreign_p:
        lengths_p = [x for w in as_pinyin for x in w[2]]
        lengths_w = [x for w in as_wade_giles for x in w[2]]
        if lengths_w > lengths_p:
            chosen = as_wade_giles
    return tuple(syl for w in chosen for syl in w[0])


# ---------------------------------------------------------------------------------------------------
# Coarse phonetic key
# ---------------------------------------------------------------------------------------------------


def coarse(syllable: str) -> str:
    """Coarse code of one syllable (pinyin or Wade-Giles spelling).

    Collapses b/p, d/t, g/k; j/q/zh/ch/z/c (with -i, -ih, -u, -ü after them, and r before u/uan/un, which
    Wade-Giles writes ju/juan/jun); x/sh/s; -uo/-o; you/yu; o/e. The Wade-Giles finals (-ien, -ung, -uei,
    -ieh, ko/ho, erh, i) are read as their pinyin. A word that is no syllable is returned unchanged.
    """
    tables = _tables()
    syl = syllable.lower()
    code = tables.code.get(syl)
    if code is None:
        code = tables.code[tables.read(syl, PINYIN)] if syl in tables.written else syl
    return code


@lru_cache(maxsize=_CACHE)
def _phonetic_key(syllables: tuple[str, ...]) -> str:
    return " ".join(sorted(coarse(s) for s in syllables))


def phonetic_key(syllables: Iterable[str]) -> str:
    """Coarse, order-insensitive key of a name: its syllables' :func:`coarse` codes, sorted, space-joined.

    Equal for a Chinese name's :func:`pinyin_syllables` and the :func:`romanized_syllables` of its
    romanisations in pinyin or Wade-Giles, whatever the order of surname and given name.
    """
    if isinstance(syllables, str):
        syllables = syllables.split()
    return _phonetic_key(tuple(syllables))


# ---------------------------------------------------------------------------------------------------
# Near sound and similar shape: the errors of typing a name by sound, and of copying it by eye
# ---------------------------------------------------------------------------------------------------

# Initials that Taiwanese Mandarin speakers do not keep apart when they type by sound (on top of the coarse
# classes, which already merge zh/z, ch/c, sh/s and aspiration): f/h (hu, fu: 福/胡 in Taiwanese-influenced
# speech) and n/l (Hokkien has one phoneme for both).
_NEAR_INITIAL = {"f": "h", "n": "l"}


@lru_cache(maxsize=4096)
def near(syllable: str) -> str:
    """Near-sound code of one syllable: :func:`coarse`, with f/h and n/l merged and -eng/-ing written -en/-in
    (ㄥ and ㄣ are one sound for most speakers in Taiwan, so 庭 ting and 亭 ting and 婷 ting, but also 品 pin
    and 平 ping, are typed one for another with a phonetic input method)."""
    code = coarse(syllable)
    for initial, merged in _NEAR_INITIAL.items():
        if code.startswith(initial) and len(code) > 1:
            code = merged + code[1:]
            break
    if code.endswith(("eng", "ing")):
        code = code[:-1]
    return code


def near_key(syllables: Iterable[str]) -> str:
    """Order-free near-sound key of a given name: its syllables' :func:`near` codes, sorted (語彤 = 彤雨)."""
    return " ".join(sorted(near(s) for s in syllables))


@lru_cache(maxsize=1)
def _four_corner() -> dict[str, str]:
    """Four-corner code (四角號碼, four digits) of each CJK character (data/four_corner.txt)."""
    path = Path(__file__).with_name("data") / "four_corner.txt"
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            char, code = line.split()
            table[char] = code
    return table


def similar_shape(a: str, b: str) -> bool:
    """True when two names of the same length differ in exactly one character and the two characters look
    alike: the same four-corner code (己/已, 未/末, 候/侯, 辨/辯, 崇/祟). The code describes the strokes at a
    character's four corners, so characters that share it are the ones a clerk copies one for the other."""
    if not a or not b or len(a) != len(b):
        return False
    differing = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    if len(differing) != 1:
        return False
    table = _four_corner()
    x, y = differing[0]
    code = table.get(x)
    return code is not None and code == table.get(y)


# ---------------------------------------------------------------------------------------------------
# Everything for one record
# ---------------------------------------------------------------------------------------------------


@lru_cache(maxsize=_CACHE)
def _name_key(name: str, name_romanized: str) -> tuple[str, str, str, str, str, str, str]:
    trad = to_traditional(name)
    surname, given = split_name(name)
    sur_py, given_py = _name_pinyin(name)
    syllables = sur_py + given_py
    if not syllables:  # no Chinese name: the romanisation (or a romanised name written as the name)
        syllables = romanized_syllables(name_romanized) or romanized_syllables(name)
    phonetic = phonetic_key(syllables)
    given_near = near_key(given_py)
    return trad, surname, given, " ".join(sur_py + given_py), phonetic, " ".join(given_py), given_near


def name_key(name: str, name_romanized: str) -> dict[str, str]:
    """Comparison keys of one record's name and romanised name.

    ``name_trad``, ``surname``, ``given`` (Traditional, no dots), ``pinyin`` and ``given_pinyin``
    (space-joined syllables of the Chinese name, "" without one), ``phonetic`` (:func:`phonetic_key` of
    the Chinese name, or of the romanisation when there is no Chinese name), ``given_near``
    (:func:`near_key` of the given name's syllables, "" without a Chinese name).
    """
    trad, surname, given, pinyin, phonetic, given_pinyin, given_near = _name_key(
        name or "", name_romanized or ""
    )
    return {
        "given_near": given_near,
        "name_trad": trad,
        "surname": surname,
        "given": given,
        "pinyin": pinyin,
        "phonetic": phonetic,
        "given_pinyin": given_pinyin,
    }
