"""Names across scripts: transliteration, and the keys two spellings of one name share.

Transliteration is deterministic and table-driven where it matters most:

- Cyrillic follows ICAO Doc 9303 (the table in machine-readable passports: ``Ж`` ZH, ``Х`` KH,
  ``Ц`` TS, ``Щ`` SHCH, ``Ю`` IU, ``Я`` IA, ``Ъ`` IE, ``Ь`` dropped), with the Ukrainian,
  Belarusian and South Slavic letters ICAO lists;
- Hangul follows the Revised Romanization of Korean (2000), syllable by syllable, without the
  sound changes across syllables (the rule for personal names); a name written as one Hangul word
  is split into family name and given name (``김정호`` becomes ``Gim Jeong-ho``);
- Han characters become toneless Hanyu Pinyin, a Chinese name split the same way
  (``习近平`` becomes ``Xi Jinping``);
- any other script falls back to ``anyascii`` (a fixed table shipped with the package).

Matching (:func:`name_keys`) goes further than transliteration: diacritics go, case folds,
words are put in a canonical spelling (``Alexander``/``Aleksandr``, ``Yevgeny``/``Evgeny``/
``Evgeniy``, ``Kim``/``Gim``, ``Jeong``/``Jong``/``Chung``) and the keys ignore word order and
whether a given name is written as one word, two, or hyphenated. :func:`sound_keys` is looser still
(consonant skeletons) and only ever supports a *possible* match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import lru_cache
from itertools import product

from anyascii import anyascii

__all__ = [
    "Script",
    "canonical_token",
    "is_latin",
    "name_keys",
    "name_tokens",
    "script_of",
    "sound_keys",
    "token_subset",
    "transliterate",
]


class Script(StrEnum):
    LATIN = "latin"
    CYRILLIC = "cyrillic"
    HANGUL = "hangul"
    HAN = "han"
    OTHER = "other"


# --- Cyrillic: ICAO Doc 9303 ------------------------------------------------------------------

# fmt: off
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    # Ukrainian, Belarusian
    "є": "ie", "і": "i", "ї": "i", "ґ": "g", "ў": "u",
    # Serbian, Macedonian
    "ђ": "d", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz", "ѓ": "g", "ќ": "k", "ѕ": "dz",
}
# fmt: on

# --- Hangul: Revised Romanization -------------------------------------------------------------

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_INITIALS = ("g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h")
# fmt: off
_VOWELS = ("a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
           "yu", "eu", "ui", "i")
_FINALS = ("", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
           "ng", "t", "t", "k", "t", "p", "t")
# fmt: on
#: Two-syllable Korean family names (the rest are one syllable).
_KOREAN_DOUBLE_FAMILY = frozenset({"남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방"})
#: Two-character Chinese family names.
_CHINESE_DOUBLE_FAMILY = frozenset(
    "欧阳 歐陽 司马 司馬 诸葛 諸葛 上官 东方 東方 皇甫 令狐 夏侯 尉迟 尉遲 公孙 公孫 慕容 长孙 長孫 宇文 司徒".split()
)


def _hangul_syllable(char: str) -> str:
    code = ord(char) - _HANGUL_FIRST
    return _INITIALS[code // 588] + _VOWELS[(code % 588) // 28] + _FINALS[code % 28]


def _is_hangul(char: str) -> bool:
    return _HANGUL_FIRST <= ord(char) <= _HANGUL_LAST


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH") or "\uf900" <= char <= "\ufaff"


def _han_syllable(char: str) -> str:
    return anyascii(char).lower()


def _split_family(word: str, doubles: frozenset[str]) -> tuple[str, str]:
    if len(word) >= 3 and word[:2] in doubles:
        return word[:2], word[2:]
    return word[:1], word[1:]


def _cjk_word(word: str, syllable: Callable[[str], str], doubles: frozenset[str], hyphenate: bool) -> str:
    """A CJK name written as one word: ``Family Given``, the given name's syllables joined."""
    if len(word) == 1 or len(word) > 4:
        return "".join(syllable(c) for c in word).capitalize()
    family, given = _split_family(word, doubles)
    family_latin = "".join(syllable(c) for c in family).capitalize()
    if not given:
        return family_latin
    glue = "-" if hyphenate else ""
    given_latin = glue.join(syllable(c) for c in given).capitalize()
    return f"{family_latin} {given_latin}"


def _cyrillic_word(word: str) -> str:
    out = []
    for index, char in enumerate(word):
        lower = char.lower()
        latin = _CYRILLIC.get(lower)
        if latin is None:
            out.append(char)
            continue
        if char != lower:  # upper case: ZH in an upper-case word, Zh in a capitalised one
            following = word[index + 1] if index + 1 < len(word) else ""
            latin = (
                latin.upper()
                if following.isupper() or (not following.isalpha() and index > 0 and word[index - 1].isupper())
                else latin.capitalize()
            )
        out.append(latin)
    return "".join(out)


def _word_script(word: str) -> Script:
    for char in word:
        if _is_hangul(char):
            return Script.HANGUL
        if _is_han(char):
            return Script.HAN
        if char.lower() in _CYRILLIC:
            return Script.CYRILLIC
    return Script.LATIN if all(_is_latin_char(c) for c in word) else Script.OTHER


def _is_latin_char(char: str) -> bool:
    if char.isascii():
        return True
    if not char.isalpha():
        return unicodedata.category(char)[0] in "PZSM"  # punctuation, spaces, symbols, combining marks
    return unicodedata.name(char, "").startswith("LATIN")


def is_latin(text: str) -> bool:
    """True when every letter of ``text`` is a Latin letter (diacritics allowed)."""
    return all(_is_latin_char(c) for c in text)


def script_of(text: str) -> Script:
    """The script of the first non-Latin word, or Latin."""
    for word in text.split():
        script = _word_script(word)
        if script is not Script.LATIN:
            return script
    return Script.LATIN


def transliterate(text: str) -> str:
    """Latin-script text for ``text``; Latin text (diacritics included) is returned unchanged.

    A Korean or Chinese name written as one word (``김정호``, ``习近平``) is split into family name
    and given name; other Hangul and Han words become one Latin word each.
    """
    words = unicodedata.normalize("NFC", text).split()
    if len(words) == 1 and all(_is_hangul(c) for c in words[0]):
        return _cjk_word(words[0], _hangul_syllable, _KOREAN_DOUBLE_FAMILY, hyphenate=True)
    if len(words) == 1 and all(_is_han(c) for c in words[0]):
        return _cjk_word(words[0], _han_syllable, _CHINESE_DOUBLE_FAMILY, hyphenate=False)
    out = []
    for word in words:
        script = _word_script(word)
        if script is Script.LATIN:
            out.append(word)
        elif script is Script.CYRILLIC:
            out.append(_cyrillic_word(word))
        elif all(_is_hangul(c) for c in word):
            out.append("".join(_hangul_syllable(c) for c in word).capitalize())
        elif all(_is_han(c) for c in word):
            out.append("".join(_han_syllable(c) for c in word).capitalize())
        else:
            out.append(_other_word(word))
    return " ".join(out)


def _other_word(word: str) -> str:
    out = []
    for char in word:
        if _is_hangul(char):
            out.append(_hangul_syllable(char))
        elif char.lower() in _CYRILLIC:
            out.append(_cyrillic_word(char))
        elif _is_latin_char(char):
            out.append(char)
        else:
            out.append(anyascii(char))
    return "".join(out)


# --- matching keys ----------------------------------------------------------------------------

#: Spellings of one name, canonical first. Compared after the spelling rules below, so list them
#: as people write them. Korean family names carry their Revised, McCune-Reischauer and customary
#: spellings; Russian given names their common Western forms.
VARIANT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("aleksandr", "aleksander", "aleksandar", "alexandre", "olexandr", "oleksandr"),
    ("aleksei", "alexey", "alexei", "aleksey", "alexej", "oleksii"),
    ("mikhail", "michail", "mihail", "mykhailo"),
    ("pavel", "pawel"),
    ("petr", "pyotr", "piotr", "petro"),
    ("fedor", "fyodor", "feodor", "fiodor"),
    ("nikolai", "nikolay", "nicolai", "mykola"),
    ("kim", "gim"),
    ("lee", "yi", "i", "ri", "rhee", "rhie", "li"),
    ("park", "bak", "pak", "bahk"),
    ("choi", "choe", "chwe"),
    ("jung", "jeong", "chung", "chong", "jong"),
    ("kang", "gang"),
    ("cho", "jo", "joh"),
    ("yoon", "yun"),
    ("jang", "chang"),
    ("lim", "im", "rim"),
    ("oh", "o"),
    ("seo", "suh"),
    ("shin", "sin"),
    ("kwon", "gwon"),
    ("ahn", "an"),
    ("ryu", "yu", "yoo", "rhyu"),
    ("jeon", "jun", "chun", "chon", "jon"),
    ("ko", "go", "koh"),
    ("moon", "mun"),
    ("bae", "pae"),
    ("baek", "paek", "paik", "baik"),
    ("heo", "ho", "hur", "huh"),
    ("noh", "no", "roh", "ro"),
    ("kwak", "gwak"),
    ("sung", "seong"),
    ("joo", "ju", "chu"),
    ("woo", "u"),
    ("hyun", "hyeon"),
)

#: Words of an entity's name that say only what legal form it has.
LEGAL_FORMS = frozenset(
    "llc ltd limited inc incorporated corp corporation co company plc jsc ojsc pjsc cjsc ooo oao zao ao pao gmbh ag "
    "sa sarl bv nv fze fzco llp".split()
)

_CONSONANT_AFTER = r"(?<=[bcdfghjklmnpqrstvwxz])"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"x", "ks"),
        (r"eo", "o"),  # Korean RR eo = McCune-Reischauer o
        (r"eu", "u"),
        (r"oo", "u"),  # Korean customary oo = u (Moon, Yoo, Joo)
        (r"(?<=[aeiou])y(?=[aeiou])", ""),  # Sergeyevich -> Sergeevich
        (r"^(?:ye|ie)", "e"),  # Yevgeny, Ievgen -> Evgeny
        (r"^iu", "yu"),  # ICAO Iurii -> Yurii
        (r"^ia", "ya"),  # ICAO Iakov -> Yakov
        (r"kh", "h"),
        (r"ph", "f"),
        (r"w", "v"),
        (r"tch", "ch"),
        (r"tz", "ts"),
        (_CONSONANT_AFTER + r"yo", "e"),  # Fyodor -> Fedor, Pyotr -> Petr
        (r"(?:iy|ij|ii|yi|yy|y)$", "i"),  # Evgeniy, Evgenii, Evgeny -> Evgeni; Sergey -> Sergei
        (r"(.)\1+", r"\1"),  # doubled letters
    )
)
_SPLIT = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['’ʼ`´]")


def _spell(token: str) -> str:
    for pattern, replacement in _RULES:
        token = pattern.sub(replacement, token)
    return token


@lru_cache(maxsize=1)
def _variants() -> dict[str, str]:
    table: dict[str, str] = {}
    for group in VARIANT_GROUPS:
        canonical = _spell(group[0])
        for spelling in group:
            key = _spell(spelling)
            if table.get(key, canonical) != canonical:
                raise AssertionError(f"spelling {spelling!r} is in two variant groups")
            table[key] = canonical
    return table


def canonical_token(token: str) -> str:
    """One lower-case ASCII word in its canonical spelling."""
    spelled = _spell(token)
    return _variants().get(spelled, spelled)


@lru_cache(maxsize=4096)
def _words(text: str, *, entity: bool) -> tuple[str, ...]:
    latin = anyascii(transliterate(text)).casefold()
    words = [w for w in _SPLIT.split(_APOSTROPHES.sub("", latin)) if w]
    if entity:
        kept = [w for w in words if w not in LEGAL_FORMS]
        words = kept or words
    return tuple(words)


def name_tokens(text: str, *, entity: bool = False) -> tuple[str, ...]:
    """The words of a name, transliterated, ASCII, case-folded and canonically spelled, in order."""
    return tuple(canonical_token(w) for w in _words(text, entity=entity))


def _keys(tokens: tuple[str, ...], spelled: tuple[str, ...] | None = None) -> frozenset[str]:
    """The sorted words, and every rotation of the words run together (each word canonical or as spelled)."""
    if not tokens:
        return frozenset()
    keys = {"sorted:" + " ".join(sorted(tokens))}
    if len(tokens) > 5:
        return frozenset(keys)
    choices = [(t,) if spelled is None or s == t else (t, s) for t, s in zip(tokens, spelled or tokens, strict=True)]
    for combination in product(*choices):
        for shift in range(len(combination)):
            keys.add("joined:" + "".join(combination[shift:] + combination[:shift]))
    return frozenset(keys)


def _spelled_tokens(text: str, *, entity: bool) -> tuple[str, ...]:
    return tuple(_spell(w) for w in _words(text, entity=entity))


def name_keys(text: str, *, entity: bool = False) -> frozenset[str]:
    """Keys two spellings of the same name share: word order free, given names joined or split."""
    return _keys(name_tokens(text, entity=entity), _spelled_tokens(text, entity=entity))


def _skeleton(token: str) -> str:
    if len(token) <= 1:
        return token
    rest = re.sub(r"[aeiouy]", "", token[1:])
    return re.sub(r"(.)\1+", r"\1", token[0] + rest)


def sound_keys(text: str, *, entity: bool = False) -> frozenset[str]:
    """Looser keys (consonant skeletons): names that may sound alike. Supports a possible match only."""
    return _keys(tuple(_skeleton(t) for t in name_tokens(text, entity=entity)))


def token_subset(a: Iterable[str], b: Iterable[str]) -> bool:
    """True when the words of one name are all among the other's, and at least two are shared."""
    left, right = set(a), set(b)
    shared = left & right
    return len(shared) >= 2 and (shared == left or shared == right)
