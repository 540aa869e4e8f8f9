"""Name keys for linkage (integrations/linkage/namekeys.py), cross-checked against the synthetic generator.

Plain functions, no database. The generator only produces inputs here; namekeys does not import it.
"""

from __future__ import annotations

import collections
import itertools
import time

import numpy as np
import opencc
import pytest

from integrations.linkage import namekeys as nk
from integrations.synthetic import names as gen

STYLES = ("pinyin", "wade_giles")
VARIANTS = range(5)
RUN_TOGETHER = (2, 3)  # "chen jiahao", "CHEN, JIAHAO": the given name's syllables without separators

# Characters of Taiwanese names that must come back from to_traditional unchanged.
TRADITIONAL_NAME_CHARS = (
    "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高潘簡朱鍾游彭詹胡施沈余盧梁趙顏柯翁魏孫戴范方"
    "宋鄧杜傅侯曹薛丁卓阮馬董唐藍石蔣古紀姚連馮歐程湯田康姜白汪鄒尤巫鐘黎涂龔嚴韓袁金童陸夏柳凃邵錢伍倪溫于"
    "譚駱熊任甘秦顧毛章史官萬俞雷粘饒"
    "家豪志明宇翔雅婷怡君佳穎冠廷承恩彥宏哲瑋庭筠萱涵欣妤芸柏睿宥語彤品妍詠晴"
)
DOTS = ("·", "‧", "•", "・", "．", ".", "\u0387", "\u2027", "\u2219", "\u22c5", "\u30fb", "\u318d", " ", "")


def _key_of_chinese(name: str) -> str:
    return nk.phonetic_key(nk.pinyin_syllables(name))


def _key_of_roman(text: str) -> str:
    return nk.phonetic_key(nk.romanized_syllables(text))


@pytest.fixture
def taiwan_readings(monkeypatch):
    """The generator romanises with pypinyin's default reading, which for 柏 (bai) and 崴 (wai) is the
    mainland one; Taiwanese names read them bo (柏宇 Po-Yu) and wei. Use the Taiwanese readings."""
    original = gen.char_pinyin
    monkeypatch.setattr(gen, "char_pinyin", lambda ch: nk.NAME_READINGS.get(ch) or original(ch))


def _generated_names(n: int, seed: int) -> list[tuple[str, str]]:
    """Distinct (surname, given) pairs drawn as the generator draws them, plus every surname once."""
    pools = gen.NamePools()
    rng = np.random.default_rng(seed)
    sexes = np.where(rng.random(n) < 0.52, "M", "F")
    surnames = rng.choice(len(pools.surnames), size=n, p=pools.surname_p)
    given = pools.given_names(rng, sexes)
    names = {(pools.surnames[s], g) for s, g in zip(surnames, given, strict=True)}
    names |= {
        (s, g) for s, g in zip(pools.surnames, itertools.cycle(("家豪", "怡君", "宇", "柏宇")), strict=False)
    }
    return sorted(names)


# ---------------------------------------------------------------------------------------------------
# to_traditional
# ---------------------------------------------------------------------------------------------------


def test_simplified_becomes_traditional():
    assert nk.to_traditional("陈家豪") == "陳家豪"
    assert nk.to_traditional("欧阳娜娜") == "歐陽娜娜"
    assert nk.to_traditional("张简志强") == "張簡志強"
    assert nk.to_traditional("叶语彤") == "葉語彤"
    assert nk.to_traditional("萧宇翔") == "蕭宇翔"
    assert nk.to_traditional("钟俊杰") == "鍾俊杰"  # 钟 as a surname is 鍾 more often than 鐘
    assert nk.to_traditional("温") == "溫"  # acceptable: 溫 is the Taiwanese form
    for trad, simp in gen.SIMPLIFIED.items():
        if trad not in "鍾鐘傑":  # 钟 and 杰 stand for two Traditional characters each
            assert nk.to_traditional(simp) == trad, (simp, trad)


def test_traditional_names_unchanged():
    for ch in TRADITIONAL_NAME_CHARS:
        assert nk.to_traditional(ch) == ch, ch
    assert nk.to_traditional("于美人") == "于美人"  # not 於
    assert nk.to_traditional("余范游鍾") == "余范游鍾"  # not 餘範遊鐘
    assert nk.to_traditional("涂郁采") == "涂郁采"  # not 塗鬱採
    assert nk.to_traditional("林俊杰") == "林俊杰"  # 杰 is a Traditional character of its own
    assert nk.to_traditional("張家峰") == "張家峰"  # not 峯
    pools = gen.NamePools()
    chars = set("".join(pools.surnames)) | set("".join(gen.HOMOPHONES))
    for spec in (gen._BOY_FIRST, gen._BOY_SECOND, gen._GIRL_FIRST, gen._GIRL_SECOND):
        chars |= {token[0] for token in spec.split()}
    for ch in chars:
        assert nk.to_traditional(ch) == ch, ch


def test_exception_table_is_needed():
    """Every protected character is one that s2t really changes; without the table 于 becomes 於."""
    s2t = opencc.OpenCC("s2t")
    for ch in nk.KEEP_TRADITIONAL:
        assert s2t.convert(ch) != ch, ch
        assert nk.to_traditional(ch) == ch


def test_middle_dots_and_whitespace_stripped():
    forms = {nk.to_traditional(f"瓦旦{dot}諾幹") for dot in DOTS}
    assert forms == {"瓦旦諾幹"}
    assert nk.to_traditional(" 陳 家豪\u3000") == "陳家豪"
    assert nk.to_traditional("") == ""


def test_generated_indigenous_names_with_any_dot():
    pools = gen.NamePools()
    rng = np.random.default_rng(5)
    for zh, ro in pools.indigenous_names(rng, 300):
        keys = {nk.name_key(zh.replace(gen.MIDDLE_DOT, dot), "")["name_trad"] for dot in DOTS}
        assert keys == {zh.replace(gen.MIDDLE_DOT, "")}
        assert nk.split_name(zh) == ("", zh.replace(gen.MIDDLE_DOT, ""))
        phonetic = {nk.name_key(zh.replace(gen.MIDDLE_DOT, dot), "")["phonetic"] for dot in DOTS}
        assert len(phonetic) == 1
        # the romanised form, whatever its case and separators
        romanised = {_key_of_roman(r) for r in (ro, ro.upper(), ro.lower(), ro.replace(" ", "-"))}
        assert len(romanised) == 1


# ---------------------------------------------------------------------------------------------------
# split_name, pinyin_syllables
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("陳家豪", ("陳", "家豪")),
        ("陳宇", ("陳", "宇")),
        ("陳", ("陳", "")),
        ("", ("", "")),
        ("歐陽娜娜", ("歐陽", "娜娜")),
        ("欧阳娜娜", ("歐陽", "娜娜")),
        ("歐陽娜", ("歐陽", "娜")),
        ("歐陽", ("歐", "陽")),  # two characters: surname 歐, given 陽
        ("張簡志強", ("張簡", "志強")),
        ("范姜家豪", ("范姜", "家豪")),
        ("張廖宇翔", ("張廖", "宇翔")),
        ("廖簡怡君", ("廖簡", "怡君")),
        ("周黃雅婷", ("周黃", "雅婷")),
        ("陳黃品妍", ("陳黃", "品妍")),
        ("江謝冠廷", ("江謝", "冠廷")),
        ("司馬中原", ("司馬", "中原")),
        ("諸葛亮", ("諸葛", "亮")),
        ("上官婉兒", ("上官", "婉兒")),
        ("司徒美堂", ("司徒", "美堂")),
        ("夏侯惇", ("夏侯", "惇")),
        ("張家豪", ("張", "家豪")),
        ("瓦旦·諾幹", ("", "瓦旦諾幹")),
        ("瓦旦諾幹", ("瓦", "旦諾幹")),  # four characters, no dot: read as a Han name
        ("瓦歷斯諾幹", ("", "瓦歷斯諾幹")),  # longer than four characters
        ("John", ("", "John")),  # no Chinese character
    ],
)
def test_split_name(name, expected):
    assert nk.split_name(name) == expected


@pytest.mark.parametrize(
    ("name", "syllables"),
    [
        ("曾家豪", ("zeng", "jia", "hao")),
        ("單宇", ("shan", "yu")),
        ("解怡君", ("xie", "yi", "jun")),
        ("仇志明", ("qiu", "zhi", "ming")),
        ("區雅婷", ("ou", "ya", "ting")),
        ("查家豪", ("zha", "jia", "hao")),
        ("樂宇翔", ("yue", "yu", "xiang")),
        ("覃品妍", ("qin", "pin", "yan")),
        ("繆冠廷", ("miao", "guan", "ting")),
        ("朴承恩", ("piao", "cheng", "en")),
        ("召彥宏", ("shao", "yan", "hong")),
        ("黑哲", ("he", "zhe")),
        ("蓋欣", ("ge", "xin")),
        ("種佳穎", ("chong", "jia", "ying")),
        ("翟芸", ("zhai", "yun")),
        ("祭晴", ("zhai", "qing")),
        ("粘語彤", ("nian", "yu", "tong")),
        ("尉遲恭", ("yu", "chi", "gong")),
        ("長孫無忌", ("zhang", "sun", "wu", "ji")),
        ("沈", ("shen",)),
        ("任", ("ren",)),
        ("葉", ("ye",)),
        ("呂", ("lu",)),
        ("吕女", ("lu", "nu")),
        ("林柏宇", ("lin", "bo", "yu")),
        ("陈家豪", ("chen", "jia", "hao")),
        ("陳曾宇", ("chen", "ceng", "yu")),  # 曾 as a given-name character keeps its common reading
        ("瓦旦·諾幹", ("wa", "dan", "nuo", "gan")),
        ("陳A家豪", ("chen", "jia", "hao")),  # not Chinese: skipped
    ],
)
def test_pinyin_syllables(name, syllables):
    assert nk.pinyin_syllables(name) == syllables


def test_homophones_have_equal_pinyin():
    assert nk.pinyin_syllables("陳家豪") == nk.pinyin_syllables("陳佳豪") == nk.pinyin_syllables("陈嘉豪")
    assert nk.pinyin_syllables("許") == nk.pinyin_syllables("徐")
    assert nk.name_key("林宇翔", "")["phonetic"] == nk.name_key("林羽祥", "")["phonetic"]
    # The generator's homophone groups read alike, except two near-homophones it uses for typos.
    near = {"黃王", "陳程"}
    for group in gen.HOMOPHONES:
        readings = {nk.pinyin_syllables("王" + ch)[1] for ch in group}
        assert (len(readings) == 1) != (group in near), (group, readings)


def test_generator_reads_characters_as_namekeys_does():
    """Apart from the Taiwanese readings in NAME_READINGS, the generator's per-character pinyin is ours."""
    pools = gen.NamePools()
    chars = set("".join(gen.HOMOPHONES))
    for spec in (gen._BOY_FIRST, gen._BOY_SECOND, gen._GIRL_FIRST, gen._GIRL_SECOND):
        chars |= {token[0] for token in spec.split()}
    differ = {
        ch for ch in chars if gen.char_pinyin(ch).replace("ü", "u") != nk.pinyin_syllables("王" + ch)[1]
    }
    assert differ <= set(nk.NAME_READINGS), differ
    for surname, *_ in gen.SURNAMES:
        expected = gen._plain(" ".join(gen.surname_syllables(surname, pools))).split()
        assert list(nk.pinyin_syllables(surname + "宇")[:-1]) == expected, surname


# ---------------------------------------------------------------------------------------------------
# romanized_syllables, phonetic_key
# ---------------------------------------------------------------------------------------------------

EXAMPLES = {
    "陳家豪": ["CHEN CHIA-HAO", "Chia-Hao Chen", "chen jiahao", "CHEN, JIAHAO", "Jia Hao Chen", "Ch'en Chia-hao",
               "Chen Chiahao", "ChenJiaHao", "Chén Jiāháo", "ＣＨＥＮ　ＣＨＩＡ－ＨＡＯ", "Ch’en Chia-hao"],
    "謝曉明": ["HSIEH HSIAO-MING", "Xie Xiaoming", "Hsiao-ming Hsieh"],
    "張志強": ["Chang Chih-ch'iang", "CHANG CHIH-CHIANG", "Zhang Zhiqiang", "chang chihchiang"],
    "徐子瑜": ["Hsu Tzu-yu", "Xu Ziyu", "Hsü Tzu-yü", "HSU TZUYU", "Tsu-Yu Hsu"],
    "林柏宇": ["Lin Po-yu", "Lin Boyu", "LIN PO-YU"],
    "呂宇翔": ["Lu Yu-hsiang", "Lü Yuxiang", "Lyu Yu-Hsiang", "Lv Yuxiang"],
    "郭冠廷": ["Kuo Kuan-ting", "Guo Guanting"],
    "周怡君": ["Chou I-chun", "Zhou Yijun", "Chou Yi-chün"],
    "蔡宥廷": ["Ts'ai Yu-t'ing", "Tsai Yu-ting", "Cai Youting"],
    "曾宇恩": ["Tseng Yu-en", "Zeng Yuen", "TSENG YUEN"],
    "鄭雅婷": ["Cheng Ya-ting", "Zheng Yating"],
    "邱品妍": ["Chiu Pin-yen", "Ch'iu P'in-yen", "Qiu Pinyan"],
    "葉子晴": ["Yeh Tzu-ching", "Ye Ziqing", "Yeh Tzu-ch'ing"],
    "游承恩": ["Yu Cheng-en", "You Cheng'en", "You Chengen"],
    "阮冠宇": ["Juan Kuan-yu", "Ruan Guanyu"],
    "任彥廷": ["Jen Yen-ting", "Ren Yanting"],
    "翁哲宇": ["Weng Che-yu", "Weng Zheyu"],
    "王二": ["Wang Erh", "Wang Er"],
    "何睿恩": ["Ho Jui-en", "He Ruien"],
    "歐陽娜娜": ["Ou-yang Na-na", "OUYANG NANA", "Nana Ouyang"],
    "張簡詠晴": ["Chang-chien Yung-ching", "ZHANGJIAN YONGQING"],
    "柯文哲": ["Ko Wen-che", "Ke Wenzhe", "K'o Wen-ch'e"],
    "卓榮泰": ["Cho Jung-tai", "Zhuo Rongtai"],
    "洪秀柱": ["Hung Hsiu-chu", "Hong Xiuzhu"],
}  # fmt: skip


@pytest.mark.parametrize("chinese", EXAMPLES)
def test_romanisations_of_examples(chinese):
    key = _key_of_chinese(chinese)
    for text in EXAMPLES[chinese]:
        assert _key_of_roman(text) == key, (text, nk.romanized_syllables(text), key)


def test_romanized_syllables_spelling():
    assert nk.romanized_syllables("CHEN CHIA-HAO") == ("chen", "jia", "hao")
    assert nk.romanized_syllables("chen jiahao") == ("chen", "jia", "hao")
    assert nk.romanized_syllables("Chia-Hao Chen") == ("jia", "hao", "chen")
    assert nk.romanized_syllables("Ch'en Chia-hao") == ("chen", "jia", "hao")
    assert nk.romanized_syllables("HSIEH HSIAO-MING") == ("xie", "xiao", "ming")
    assert nk.romanized_syllables("Chang Chih-ch'iang") == ("chang", "zhi", "qiang")
    assert nk.romanized_syllables("Hsu Tzu-yu") == ("xu", "zi", "yu")
    assert nk.romanized_syllables("Xi'an") == ("xi", "an")
    assert nk.romanized_syllables("Xian") == ("xian",)  # fewest syllables
    assert nk.romanized_syllables("tingting") == ("ting", "ting")
    assert nk.romanized_syllables("Lü") == nk.romanized_syllables("Lyu") == ("lu",)
    assert nk.romanized_syllables("Jen") == ("ren",)
    assert nk.romanized_syllables("erh") == ("er",)
    assert nk.romanized_syllables("") == ()


@pytest.mark.parametrize(
    ("written", "pinyin"),
    [("Kuo", "guo"), ("Chou", "zhou"), ("Ts'ai", "cai"), ("Tsai", "cai"), ("Tseng", "zeng"), ("Cheng", "zheng"),
     ("Chiu", "qiu"), ("Ch'iu", "qiu"), ("Yeh", "ye"), ("Yu", "you"), ("Juan", "ruan"), ("Jen", "ren"),
     ("Weng", "weng"), ("erh", "er"), ("Lu", "lü"), ("Lyu", "lü"), ("Po", "bo"), ("Hsu", "xu"), ("Ko", "ke"),
     ("Hung", "hong"), ("Chung", "zhong"), ("Lo", "luo"), ("Huei", "hui"), ("Kuei", "gui"), ("Ssu", "si"),
     ("Szu", "si"), ("I", "yi"), ("Yen", "yan"), ("Yung", "yong"), ("Chueh", "jue"), ("Jui", "rui")],
)  # fmt: skip
def test_single_syllables(written, pinyin):
    assert _key_of_roman(written) == nk.phonetic_key([pinyin.replace("ü", "u")])
    assert nk.coarse(written) == nk.coarse(pinyin.replace("ü", "u"))


def test_indigenous_romanisation_kept_as_words():
    assert nk.romanized_syllables("Walis") == ("walis",)
    assert "walis" in nk.romanized_syllables("Walis Nokan")
    assert nk.romanized_syllables("WALIS-NOKAN") == nk.romanized_syllables("walis nokan")
    assert nk.romanized_syllables("Sra'ak") == ("sraak",)
    assert nk.phonetic_key(["walis"]) == "walis"


def test_every_spelling_has_one_code():
    """Whatever a written syllable may stand for (chu: zhu, chu, ju, qu), all its readings share a code;
    so the reading romanized_syllables picks for an ambiguous spelling cannot change the key."""
    tables = nk._tables()
    for written, readings in tables.readings.items():
        codes = {tables.code[syl] for syl in readings}
        assert len(codes) == 1, (written, {syl: tables.code[syl] for syl in readings})


def test_phonetic_key_is_order_insensitive():
    assert nk.phonetic_key(["chen", "jia", "hao"]) == nk.phonetic_key(["jia", "hao", "chen"])
    assert nk.phonetic_key(("chen", "jia", "hao")) == nk.phonetic_key("hao chen jia")
    assert nk.phonetic_key([]) == ""


def test_generator_romanisations_agree(taiwan_readings):
    """For every generated name, the key of its Chinese name equals the key of each of its ten
    romanisations (pinyin and Wade-Giles, five written variants each).

    The only disagreements allowed are in the run-together variants ("chen yuan", "CHEN, SHIHAN"), where
    the given name's syllables have no separator and the text itself is ambiguous: 語安 yu-an written
    "yuan" is read as one syllable (the fewest syllables win: 元 is "Yuan" too), 立恩 "lien" is Wade-Giles
    lian, 華儀 "huai", and "shihan" is pinyin 詩涵 but is read as Wade-Giles shih-an (詩安). With seed 2024
    (5,660 names) that is 0.42 % of names in each pinyin run-together variant and 0.57 % in each Wade-Giles
    one (24 and 32 names), and none in the other three variants.
    """
    pools = gen.NamePools()
    names = _generated_names(6000, seed=2024)
    assert len(names) > 5000
    failures: collections.Counter = collections.Counter()
    examples = {}
    for surname, given in names:
        key = _key_of_chinese(surname + given)
        assert key
        for style in STYLES:
            for variant in VARIANTS:
                text = gen.romanise(surname, given, style=style, variant=variant, pools=pools)
                if _key_of_roman(text) != key:
                    failures[(style, variant)] += 1
                    examples.setdefault((style, variant), (surname + given, text))
    bad = {sv: count for sv, count in failures.items() if sv[1] not in RUN_TOGETHER}
    assert not bad, (bad, examples)
    for sv, count in failures.items():
        assert count / len(names) < 0.01, (sv, count, examples[sv])


def test_surname_keys():
    """Among the twenty commonest surnames only 鄭 and 曾 share a key (zheng/zeng: Wade-Giles Cheng and
    Tseng are both taken as possibly either)."""
    pools = gen.NamePools()
    top = pools.surnames[:20]
    by_key = collections.defaultdict(list)
    for surname in top:
        by_key[_key_of_chinese(surname)].append(surname)
    shared = sorted(tuple(v) for v in by_key.values() if len(v) > 1)
    assert shared == [("鄭", "曾")]
    assert _key_of_chinese("陳") != _key_of_chinese("林")
    assert _key_of_chinese("陳") != _key_of_chinese("程")
    assert _key_of_chinese("王") != _key_of_chinese("黃")
    assert _key_of_chinese("張") != _key_of_chinese("莊")


def test_collisions_in_generated_names():
    """Over the generator's name pool (20,000 draws, seed 11: 16,375 distinct names, 13,569 distinct
    pinyin readings), what share of distinct pairs get the same phonetic key:

    * distinct names: 0.0085 % of pairs (homophones such as 陳家豪/陳佳豪 count; they are meant to match);
    * distinct readings (homophones merged): 0.0035 % of pairs; 28 % of readings share their key with at
      least one other reading -- mostly names whose syllables differ only across a collapsed pair (丁/陳 +
      蓁/婷: d~t, zh~ch; 子/志/紀/朱: z~zh~j with -i~-u) or that are permutations (the key is a sorted bag).
    """
    pools = gen.NamePools()
    rng = np.random.default_rng(11)
    n = 20000
    sexes = np.where(rng.random(n) < 0.52, "M", "F")
    surnames = rng.choice(len(pools.surnames), size=n, p=pools.surname_p)
    given = pools.given_names(rng, sexes)
    names = sorted({pools.surnames[s] + g for s, g in zip(surnames, given, strict=True)})
    keys = collections.Counter(_key_of_chinese(name) for name in names)
    name_pairs = len(names) * (len(names) - 1) // 2
    name_share = sum(c * (c - 1) // 2 for c in keys.values()) / name_pairs
    readings = {nk.pinyin_syllables(name) for name in names}
    reading_keys = collections.Counter(nk.phonetic_key(r) for r in readings)
    reading_pairs = len(readings) * (len(readings) - 1) // 2
    reading_share = sum(c * (c - 1) // 2 for c in reading_keys.values()) / reading_pairs
    sharing = sum(c for c in reading_keys.values() if c > 1) / len(readings)
    print(f"names {len(names)}, readings {len(readings)}, keys {len(reading_keys)}; colliding pairs: "
          f"names {name_share:.4%}, readings {reading_share:.4%}; readings sharing a key {sharing:.1%}")  # fmt: skip
    assert name_share < 1e-4
    assert reading_share < 1e-4
    assert sharing < 0.35


# ---------------------------------------------------------------------------------------------------
# name_key
# ---------------------------------------------------------------------------------------------------


def test_name_key():
    key = nk.name_key("陈家豪", "CHEN CHIA-HAO")
    assert key == {
        "name_trad": "陳家豪",
        "surname": "陳",
        "given": "家豪",
        "pinyin": "chen jia hao",
        "phonetic": "hao zen zia",
        "given_pinyin": "jia hao",
        "given_near": "hao zia",
    }
    roman_only = nk.name_key("", "Chia-Hao Chen")
    assert roman_only["name_trad"] == roman_only["pinyin"] == roman_only["given_pinyin"] == ""
    assert roman_only["phonetic"] == key["phonetic"]
    assert nk.name_key("張簡志強", "")["given_pinyin"] == "zhi qiang"
    assert nk.name_key("張簡志強", "")["surname"] == "張簡"
    assert nk.name_key("曾宇", "")["pinyin"] == "zeng yu"
    assert nk.name_key("瓦旦·諾幹", "Watan Nokan")["surname"] == ""
    assert nk.name_key("", "") == dict.fromkeys(key, "")
    assert nk.name_key(None, None)["phonetic"] == ""  # type: ignore[arg-type]
    mutated = nk.name_key("陳家豪", "")
    mutated["surname"] = "X"
    assert nk.name_key("陳家豪", "")["surname"] == "陳"  # callers get a fresh dict


def test_name_key_speed(capsys):
    """Not an assertion on speed: prints µs per name_key call over 10,000 generated records, with the
    per-name caches empty (per-character caches warm) and full, and for records with only a romanisation."""
    pools = gen.NamePools()
    rng = np.random.default_rng(3)
    n = 10000
    sexes = np.where(rng.random(n) < 0.52, "M", "F")
    surnames = rng.choice(len(pools.surnames), size=n, p=pools.surname_p)
    given = pools.given_names(rng, sexes)
    records = []
    for i, (s, g) in enumerate(zip(surnames, given, strict=True)):
        surname = pools.surnames[s]
        roman = gen.romanise(surname, g, style=STYLES[i % 2], variant=i % 5, pools=pools)
        records.append((surname + g, roman))
    for name, roman in records:  # build the tables, meet every character once
        nk.name_key(name, roman)
        nk.romanized_syllables(roman)

    def clear():
        for fn in (nk.to_traditional, nk.split_name, nk._name_pinyin, nk.romanized_syllables,
                   nk._word_syllables, nk._phonetic_key, nk._name_key):  # fmt: skip
            fn.cache_clear()

    clear()
    start = time.perf_counter()
    for name, roman in records:
        nk.name_key(name, roman)
    cold = (time.perf_counter() - start) / n * 1e6
    start = time.perf_counter()
    for name, roman in records:
        nk.name_key(name, roman)
    warm = (time.perf_counter() - start) / n * 1e6
    clear()
    start = time.perf_counter()
    for _, roman in records:
        nk.name_key("", roman)
    roman_only = (time.perf_counter() - start) / n * 1e6
    with capsys.disabled():
        print(f"\nname_key: {cold:.1f} µs/call uncached, {warm:.2f} µs/call cached, "
              f"{roman_only:.1f} µs/call romanisation only (10,000 records)")  # fmt: skip


# ---------------------------------------------------------------------------------------------------
# Near sound and similar shape (typed by sound, copied by eye)
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("庭", "婷"),  # same syllable
        ("品", "聘"),  # other tone
        ("品", "平"),  # -in / -ing
        ("恩", "嗯"),  # a syllabic nasal read as en
        ("志", "至"),  # zh / z
        ("福", "胡"),  # f / h
        ("寧", "玲"),  # n / l
        ("語彤", "彤語"),  # the same sounds in the other order
    ],
)
def test_names_typed_by_sound_share_the_near_key(a, b):
    assert nk.name_key("王" + a, "")["given_near"] == nk.name_key("王" + b, "")["given_near"]


@pytest.mark.parametrize(("a", "b"), [("家豪", "家慧"), ("雅婷", "雅琪"), ("宇", "安")])
def test_different_given_names_keep_different_near_keys(a, b):
    assert nk.name_key("王" + a, "")["given_near"] != nk.name_key("王" + b, "")["given_near"]


@pytest.mark.parametrize(
    ("a", "b"), [("己", "已"), ("候文", "侯文"), ("崇文", "祟文"), ("辨", "辯"), ("未", "末")]
)
def test_one_character_of_the_same_shape(a, b):
    assert nk.similar_shape(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("家豪", "家慧"), ("崇文", "祟武"), ("己", "己"), ("己文", "已"), ("", ""), ("a", "b")],
)
def test_other_differences_are_not_similar_shape(a, b):
    assert not nk.similar_shape(a, b)
