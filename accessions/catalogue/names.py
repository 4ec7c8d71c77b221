"""Personal names in parts: a heading split once into family and given names, and the
guess whether a heading names an organisation.

Citations need the parts (BibTeX "Kennan, George F.", APA "Kennan, G. F."), catalogues keep
headings ("George F. Kennan", "Khrushchev, Nikita Sergeevich, 1894-1971"). A heading is
split when a person is first saved or imported; staff correct the parts in the admin.

- "Family, Given" (library headings, the Wilson Center's exports) is taken as written; life
  dates and bracketed fuller forms are dropped, a trailing "Jr." or "III" is the suffix.
- Russian names: given name, patronymic, family name ("Nikita Sergeevich Khrushchev") is
  split by nameparser; the official family-first order is recognised by its patronymic at
  the end ("Хрущёв Никита Сергеевич") or its initials ("Микоян А. И.").
- Chinese (and Korean) names put the family name first. Names in Han characters or Hangul
  take the first character as the family name (two for the compound surnames listed);
  romanised ones do when the first word is a Chinese surname and the rest is one given name
  in pinyin ("Mao Zedong") or hyphenated Wade-Giles ("Chiang Kai-shek"). Such names are
  marked family-first, so running text keeps "Mao Zedong" while citations invert as usual.
- Everything else goes to nameparser: "Charles de Gaulle" gives the particle "de".
"""

import re
import unicodedata
from dataclasses import dataclass

from nameparser import HumanName
from nameparser.config import CONSTANTS

# Library-of-Congress headings end with life dates: "Khrushchev, Nikita, 1894-1971".
LIFE_DATES = re.compile(r",\s*(?:b\.\s*|d\.\s*|ca\.\s*)?\d{3,4}\??-?(?:\d{3,4}\??)?\.?$")
# Fuller forms and nicknames catalogues add: "John F. (John Fitzgerald)", '("Tony")'.
QUALIFIER = re.compile(r"\s*\([^)]*\)")
SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v"}
# A patronymic ends the name in the Russian official order (family, given, patronymic).
PATRONYMIC = re.compile(
    r"(?:ovich|evich|ich|ovna|evna|ichna|inichna|ович|евич|ич|овна|евна|ична|инична)$",
    re.IGNORECASE,
)
INITIALS = re.compile(r"^(?:\w\.)+$")
CHINESE_SURNAMES = {
    # Pinyin, then Wade-Giles and other older romanisations of common surnames.
    *"bai cai cao chen cheng deng ding dong du fan fang feng gao gu guo han he hou hu huang "
    "jia jiang jin kang kong lei li liang liao lin liu lu luo ma mao meng pan peng qian qin "
    "ren shen shi song su sun tan tang tian wan wang wei wen wu xi xia xiao xie xu xue yan "
    "yang yao ye yin yu yuan zeng zhang zhao zheng zhou zhu".split(),
    *"chang chao cheng chiang chou chu hsu hsieh hsiao kao kuo ku teng tsai tseng "
    "tsou wong".split(),
}
COMPOUND_SURNAMES = set(
    "欧阳 歐陽 司马 司馬 诸葛 諸葛 上官 司徒 东方 東方 夏侯 皇甫 尉迟 尉遲 公孙 公孫 慕容 令狐 "
    "남궁 황보 제갈 선우 독고".split()
)
# Pinyin syllables: an optional initial and a final. "Zedong" is ze+dong; "Hamilton" is not.
PINYIN_SYLLABLE = (
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|un|ia|ie|iu"
    r"|ua|uo|ui|ue|er|a|o|e|i|u|v|ü)"
)
PINYIN_GIVEN = re.compile(rf"^(?:{PINYIN_SYLLABLE}){{1,2}}$", re.IGNORECASE)
# Words that name institutions, not people; surnames such as Bank or Church are left out.
ORGANISATION_WORDS = {
    *"Academy Agency Archives Assembly Association Bureau Cabinet Centre Center Commission "
    "Committee Company Conference Congress Consulate Corporation Council Delegation "
    "Department Directorate Division Embassy Federation Foundation Government Institute "
    "League Legation Library Ministry Mission Museum Nations Office Organisation "
    "Organization Parliament Party Politburo Presidium Republic Secretariat Society Union "
    "University".split(),
    *"Министерство Комитет Совет Посольство Партия Правительство Президиум Политбюро "
    "Управление Институт".split(),
}
TITLES = {"dr", "mr", "mrs", "ms", "gen", "sen", "rev", "col", "capt", "adm", "prof", "lt", "st"}
TITLES |= {"hon", "esq", "jr", "sr"}
# Capitals that follow a person's name: honours, degrees, generations.
POST_NOMINALS = {"OM", "CH", "KG", "OBE", "CBE", "MBE", "KBE", "DBE", "RA", "PRA", "FRS", "VC"}
POST_NOMINALS |= {"KC", "QC", "MP", "PHD", "II", "III", "IV", "VI", "VII", "VIII"}
# Honours after a name, which no citation style prints: "Henry Moore OM, CH".
HONOURS_AT_END = re.compile(
    r"(?:,?\s+(?:OM|CH|KG|OBE|CBE|MBE|KBE|DBE|RA|PRA|FRS|VC|KC|QC|MP|PhD))+$"
)


@dataclass(frozen=True)
class NameParts:
    """A person's name in the parts citations use; `family_first` for running text."""

    family: str = ""
    given: str = ""
    particle: str = ""
    suffix: str = ""
    family_first: bool = False


def clean_heading(name: str) -> str:
    """The heading without life dates, bracketed fuller forms and extra spaces."""
    name = " ".join(name.split())
    name = LIFE_DATES.sub("", name)
    return " ".join(QUALIFIER.sub("", name).split()).strip(" ,")


def _script(character: str) -> str:
    name = unicodedata.name(character, "")
    for script in ("CJK", "HANGUL", "HIRAGANA", "KATAKANA"):
        if name.startswith(script):
            return script
    return ""


def in_east_asian_script(text: str) -> bool:
    """Whether the text is written in Han characters, kana or Hangul."""
    return any(_script(character) for character in text)


def _east_asian_script(name: str) -> NameParts | None:
    """Family-first split of a name written in Han characters or Hangul."""
    scripts = {_script(c) for c in name if not c.isspace()}
    if not scripts or "" in scripts:
        return None
    if " " in name:
        family, given = name.split(" ", 1)
        return NameParts(family=family, given=given, family_first=True)
    if scripts & {"HIRAGANA", "KATAKANA"} or len(name) > 4 or len(name) < 2:
        # Japanese names, or lengths no rule splits safely: kept whole for staff to split.
        return NameParts(family=name, family_first=True)
    cut = 2 if name[:2] in COMPOUND_SURNAMES else 1
    if len(name) == 4 and cut == 1:
        return NameParts(family=name, family_first=True)
    return NameParts(family=name[:cut], given=name[cut:], family_first=True)


def _is_chinese(family: str, given: str) -> bool:
    """A Chinese surname and one given name in pinyin or hyphenated Wade-Giles."""
    if family.lower() not in CHINESE_SURNAMES:
        return False
    wade_giles = re.fullmatch(r"[A-Z][a-z]+-[a-z]+", given)
    return bool(wade_giles or (given[:1].isupper() and PINYIN_GIVEN.match(given)))


def _romanised_chinese(words: list[str]) -> NameParts | None:
    if len(words) == 2 and _is_chinese(words[0], words[1]):
        return NameParts(family=words[0], given=words[1], family_first=True)
    return None


def _russian_family_first(words: list[str]) -> NameParts | None:
    """ "Хрущёв Никита Сергеевич" and "Микоян А. И." put the family name first."""
    if len(words) == 3 and PATRONYMIC.search(words[2]) and not PATRONYMIC.search(words[1]):
        return NameParts(family=words[0], given=" ".join(words[1:]))
    initials = words[1:]
    if len(words) >= 2 and all(INITIALS.match(word) for word in initials):
        if not INITIALS.match(words[0]):
            return NameParts(family=words[0], given=" ".join(initials))
    return None


def _split_particle(family: str) -> tuple[str, str]:
    """("de", "Gaulle") from "de Gaulle": lower-case particles before the family name."""
    words = family.split()
    particle = []
    while len(words) > 1 and words[0] == words[0].lower() and words[0] in CONSTANTS.prefixes:
        particle.append(words.pop(0))
    return " ".join(particle), " ".join(words)


def _inverted(name: str) -> NameParts:
    """ "Family, Given[, Suffix]" as written; "Gaulle, Charles de" keeps "de" as particle."""
    family, _, rest = (part.strip() for part in name.partition(","))
    given, _, suffix = (part.strip() for part in rest.partition(","))
    if suffix and suffix.lower() not in SUFFIXES:
        given, suffix = f"{given}, {suffix}", ""
    particle, family = _split_particle(family)
    given_words = given.split()
    trailing = []
    while len(given_words) > 1 and given_words[-1] in CONSTANTS.prefixes:
        if given_words[-1] != given_words[-1].lower():
            break
        trailing.insert(0, given_words.pop())
    if trailing and not particle:
        particle, given = " ".join(trailing), " ".join(given_words)
    return NameParts(
        family=family,
        given=given,
        particle=particle,
        suffix=suffix,
        family_first=_is_chinese(family, given),
    )


def split_person_name(name: str) -> NameParts:
    """The parts of a person's heading; the whole heading is the family name when no rule
    applies (a single name such as "Sukarno")."""
    heading = HONOURS_AT_END.sub("", clean_heading(name))
    if not heading:
        return NameParts(family=name.strip())
    if (parts := _east_asian_script(heading)) is not None:
        return parts
    # "Martin Luther King, Jr." is in natural order; only its suffix follows a comma.
    if "," in heading and heading.rsplit(",", 1)[1].strip().lower() not in SUFFIXES:
        parts = _inverted(heading)
        if parts.family:
            return parts
    words = heading.split()
    for rule in (_romanised_chinese, _russian_family_first):
        if (parts := rule(words)) is not None:
            return parts
    parsed = HumanName(heading)
    given = " ".join(part for part in (parsed.first, parsed.middle) if part)
    if not parsed.last:
        return NameParts(family=given or heading)
    particle, family = _split_particle(parsed.last)
    return NameParts(family=family, given=given, particle=particle, suffix=parsed.suffix)


def looks_like_organisation(name: str) -> bool:
    """A guess for headings whose kind nobody gave: corporate headings ("Japan. Foreign
    Ministry"), acronyms ("CPSU Central Committee") and institutional words."""
    heading = clean_heading(name)
    words = re.findall(r"[\w'’-]+\.?", heading)
    if any(word.strip(".") in ORGANISATION_WORDS for word in words):
        return True
    acronyms = [
        word
        for word in words
        if len(word) >= 2 and word.isalpha() and word.isupper() and word not in POST_NOMINALS
    ]
    # "CPSU Central Committee", "NATO"; not a pseudonym in capitals such as "VALIE EXPORT".
    if acronyms and (len(acronyms) < len(words) or len(words) == 1):
        return True
    # A library corporate heading: a whole word, not an initial or a title, ends in ". ".
    for match in re.finditer(r"(\w+)\.\s", heading):
        word = match.group(1)
        if len(word) >= 3 and word.lower() not in TITLES and "," not in heading[: match.start()]:
            return True
    return False
