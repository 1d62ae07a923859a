"""Transliteration (ICAO 9303, Revised Romanization, Pinyin) and the keys spellings of one name share."""

from __future__ import annotations

import pytest

from entente.sanctions import Script, name_keys, script_of, transliterate
from entente.sanctions.names import VARIANT_GROUPS, _variants, canonical_token, name_tokens, sound_keys


@pytest.mark.parametrize(
    ("original", "latin"),
    [
        ("Александр Сергеевич Петров", "Aleksandr Sergeevich Petrov"),
        ("Евгений Пригожин", "Evgenii Prigozhin"),
        ("Юлия Щукина", "Iuliia Shchukina"),
        ("Фёдор Хрущёв", "Fedor Khrushchev"),
        ("Цой Ян", "Tsoi Ian"),
        ("Подъячев", "Podieiachev"),
        ("ЖУКОВ Георгий", "ZHUKOV Georgii"),
        ("Олександр Ґонта", "Oleksandr Gonta"),
        ("Ђорђе Јовановић", "Dorde Jovanovic"),
    ],
)
def test_cyrillic_follows_icao_9303(original: str, latin: str) -> None:
    assert transliterate(original) == latin


@pytest.mark.parametrize(
    ("original", "latin"),
    [
        ("김정호", "Gim Jeong-ho"),
        ("박성철", "Bak Seong-cheol"),
        ("남궁민수", "Namgung Min-su"),
        ("이", "I"),
        ("천리마 사이버 부대", "Cheonrima Saibeo Budae"),
    ],
)
def test_hangul_follows_the_revised_romanization(original: str, latin: str) -> None:
    assert transliterate(original) == latin


@pytest.mark.parametrize(
    ("original", "latin"),
    [("习近平", "Xi Jinping"), ("王建国", "Wang Jianguo"), ("欧阳修", "Ouyang Xiu"), ("中国 银行", "Zhongguo Yinxing")],
)
def test_han_becomes_pinyin_family_name_first(original: str, latin: str) -> None:
    assert transliterate(original) == latin


def test_latin_text_is_left_as_written() -> None:
    assert transliterate("José Müller-Łukasiewicz") == "José Müller-Łukasiewicz"


def test_other_scripts_fall_back_to_a_fixed_table() -> None:
    assert transliterate("Αλέξανδρος") == "Alexandros"
    assert transliterate("محمد").isascii()


def test_script_detection() -> None:
    assert script_of("Kim Jong Ho") is Script.LATIN
    assert script_of("Kim 김정호") is Script.HANGUL
    assert script_of("Петров") is Script.CYRILLIC
    assert script_of("习近平") is Script.HAN
    assert script_of("Αλέξανδρος") is Script.OTHER


def _same(a: str, b: str, *, entity: bool = False) -> bool:
    return bool(name_keys(a, entity=entity) & name_keys(b, entity=entity))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Александр Сергеевич Петров", "Aleksandr Sergeyevich Petrov"),
        ("Александр Сергеевич Петров", "Alexander Sergeevich Petrov"),
        ("Александр Сергеевич Петров", "PETROV Aleksandr Sergeevich"),
        ("Yevgeny Prigozhin", "Evgeny Prigozhin"),
        ("Yevgeniy Prigozhin", "Evgenii Prigozhin"),
        ("Евгений Пригожин", "Yevgeny Prigozhin"),
        ("Yuriy Gagarin", "Iurii Gagarin"),
        ("Fyodor Dostoevsky", "Fedor Dostoevskii"),
        ("Mikhail Gorbachev", "Mihail Gorbachev"),
        ("Sergey Ivanov", "Sergei Ivanov"),
        ("김정호", "Kim Jong Ho"),
        ("김정호", "Gim Jeong-ho"),
        ("Kim Jong Ho", "Gim Jeong-ho"),
        ("Kim Jong-ho", "Jongho Kim"),
        ("박성철", "Pak Song Chol"),
        ("习近平", "Xi Jinping"),
        ("习近平", "XI Jin-ping"),
        ("王建国", "Jianguo Wang"),
        ("José Müller", "JOSE MULLER"),
    ],
)
def test_spellings_of_one_name_share_a_key(a: str, b: str) -> None:
    assert _same(a, b), (name_tokens(a), name_tokens(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Aleksandr Petrov", "Aleksandr Pavlov"),
        ("Kim Jong Ho", "Kim Jong Un"),
        ("Sergei Ivanov", "Sergei Ivanovich"),
        ("Wang Jianguo", "Wang Jianhua"),
    ],
)
def test_different_names_do_not_share_a_key(a: str, b: str) -> None:
    assert not _same(a, b)


def test_legal_forms_do_not_count_in_entity_names() -> None:
    assert _same("ООО «Технологии Безопасности»", "Tekhnologii Bezopasnosti LLC", entity=True)
    assert _same("Security Technologies, Ltd.", "SECURITY TECHNOLOGIES", entity=True)
    assert not _same("ООО «Технологии Безопасности»", "Tekhnologii Bezopasnosti LLC")


def test_sound_keys_are_looser_than_name_keys() -> None:
    assert not _same("Aleksandr Petrov", "Aleksandr Petrova")
    assert sound_keys("Aleksandr Petrov") & sound_keys("Aleksandr Petrova")
    assert not _same("이명박", "Lee Myung-bak")  # Revised "myeong", customary "myung"
    assert sound_keys("이명박") & sound_keys("Lee Myung-bak")


def test_variant_groups_never_overlap() -> None:
    table = _variants()
    for group in VARIANT_GROUPS:
        assert {table[canonical_token(spelling)] for spelling in group} == {canonical_token(group[0])}


def test_keys_are_deterministic_across_calls() -> None:
    assert name_keys("Александр Петров") == name_keys("Александр Петров")
    assert name_tokens("Александр Петров") == ("aleksandr", "petrov")
