"""Pinyin search keys for Chinese names: 张伟 → "zhangwei" and "zw".

Surnames have readings of their own (单 is Shàn, not dān; 曾 is Zēng), so the surname is
read from an override table first; double surnames are checked before single ones.
"""

import re

from pypinyin import Style, lazy_pinyin

# The widths of Resident.name_pinyin and name_initials. Searches match prefixes, so a key cut
# to the column loses nothing a search can use.
FULL_MAX, INITIALS_MAX = 120, 20

SURNAME_READINGS = {
    "欧阳": ["ou", "yang"],
    "司马": ["si", "ma"],
    "上官": ["shang", "guan"],
    "诸葛": ["zhu", "ge"],
    "尉迟": ["yu", "chi"],
    "万俟": ["mo", "qi"],
    "单于": ["chan", "yu"],
    "长孙": ["zhang", "sun"],
    "令狐": ["ling", "hu"],
    "皇甫": ["huang", "fu"],
    "单": ["shan"],
    "曾": ["zeng"],
    "解": ["xie"],
    "仇": ["qiu"],
    "朴": ["piao"],
    "区": ["ou"],
    "查": ["zha"],
    "乐": ["yue"],
    "盖": ["ge"],
    "缪": ["miao"],
    "翟": ["zhai"],
    "员": ["yun"],
    "覃": ["qin"],
    "秘": ["bi"],
    "召": ["shao"],
    "种": ["chong"],
    "繁": ["po"],
    "隗": ["wei"],
    "任": ["ren"],
    "华": ["hua"],
    "纪": ["ji"],
    "过": ["guo"],
    "宁": ["ning"],
    "重": ["chong"],
    "都": ["du"],
    "尉": ["wei"],
    "郇": ["huan"],
    "柏": ["bai"],
}


def name_syllables(name: str) -> list[str]:
    name = (name or "").strip()
    for length in (2, 1):
        surname = name[:length]
        if len(name) > length and surname in SURNAME_READINGS:
            return SURNAME_READINGS[surname] + _syllables(name[length:])
    return _syllables(name)


def _syllables(text: str) -> list[str]:
    # Latin names (minority or foreign residents) come back unconverted: keep their words,
    # so "Mary Smith" is found by "marysmith" and "ms"; drop punctuation such as the "·".
    out = []
    for part in lazy_pinyin(text, style=Style.NORMAL, errors="default"):
        out.extend(re.findall(r"[a-z]+", part.lower()))
    return out


def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) for searching, both lower case without spaces."""
    syllables = name_syllables(name)
    return "".join(syllables)[:FULL_MAX], "".join(s[0] for s in syllables)[:INITIALS_MAX]
