"""Topic lexicons of the misuse taxonomy.

Two uses: (1) a feature of the misuse model ("this text names a harmful topic",
which generalises beyond the phrasing of any training set) and (2) routing a
misuse finding to its taxonomy category (``misuse.cyber_crime``...). Matching a
lexicon alone never flags anything: the learned model decides.
"""

from __future__ import annotations

import re

__all__ = ["MISUSE_CATEGORIES", "misuse_categories", "topic_counts"]

#: Topic lexicons routing a misuse finding to the policy taxonomy. Matching a
#: lexicon never raises the misuse score; it only names the category.
MISUSE_CATEGORIES: dict[str, re.Pattern[str]] = {
    name: re.compile(rx, re.IGNORECASE)
    for name, rx in {
        "cyber_crime": r"\b(hack\w*|malware|ransomware|virus(es)?|trojan|keylog\w*|botnet|phish\w*|"
        r"exploit\w*|ddos|denial of service|sql injection|backdoor|rootkit|spyware|crack\w* "
        r"(password|software)|brute.?force|zero.?day|worm|credential|botnets?|xss)\b",
        "indiscriminate_weapons": r"\b(bombs?|explosives?|detonat\w*|nerve agent|sarin|vx|anthrax|"
        r"bioweapon\w*|biological weapon|chemical weapon|nuclear|uranium|plutonium|dirty bomb|"
        r"pathogen|toxin|ricin|mustard gas|chlorine gas|pipe bomb|napalm|grenade|weapons? of mass)\b",  # noqa: E501
        "violent_crimes": r"\b(kill\w*|murder\w*|assault\w*|attack\w*|shoot\w*|stab\w*|poison\w*|"
        r"kidnap\w*|tortur\w*|strangl\w*|beat (up|someone)|hurt (someone|people|him|her)|"
        r"terror\w*|massacre|assassinat\w*|gun|firearm|weapon\w*|violen\w*|abduct\w*)\b",
        "non_violent_crimes": r"\b(steal\w*|theft|fraud\w*|scam\w*|launder\w*|counterfeit\w*|"
        r"smuggl\w*|shoplift\w*|embezzl\w*|evad\w* (tax|taxes|police|law)|tax evasion|bribe\w*|"
        r"drugs?|cocaine|heroin|meth\w*|fentanyl|illegal\w*|black market|forg(e|ed|ery)|"
        r"blackmail\w*|extort\w*|pirat\w*|insider trading|identity theft|burglar\w*|break into)\b",
        "self_harm": r"\b(suicid\w*|kill (myself|yourself)|end (my|your) life|self.?harm|"
        r"cut(ting)? (myself|yourself)|hang (myself|yourself)|overdose|anorexi\w*|bulimi\w*|"
        r"starv\w* (myself|yourself)|purge|pro.?ana)\b",
        "hate": r"\b(racis\w*|hate|hatred|slur\w*|inferior|subhuman|nazi\w*|white suprem\w*|"
        r"antisemit\w*|jews?|muslims?|black people|immigrants?|gays?|homosexual\w*|transgender|"
        r"n-word|bigot\w*|discriminat\w*|harass\w*|bully\w*|ethnic cleansing|genocide)\b",
        "sexual_content": r"\b(sex\w*|porn\w*|erotic\w*|nude\w*|naked|explicit|orgasm\w*|fetish\w*|"
        r"nsfw|genital\w*|intercourse|onlyfans|prostitut\w*|escort)\b",
        "child_exploitation": r"\b(child\w*|minor|minors|kid|kids|underage|teen\w*|preteen|"
        r"grooming|groom|pedophil\w*|paedophil\w*|csam|little (girl|boy))\b",
        "privacy": r"\b(home address|phone number|social security|ssn|personal (information|data|"
        r"details)|dox\w*|track (someone|my|her|his)|spy on|stalk\w*|location of|medical records|"
        r"marital status|sexual orientation|criminal record|private (email|information))\b",
        "elections": r"\b(elections?|vot(e|er|ers|ing)|ballots?|polling|electoral|candidate)\b",
        "disinformation": r"\b(fake news|misinformation|disinformation|propaganda|conspiracy|hoax|"
        r"false (information|claims?|story|article)|fake (article|story|review|reviews)|"
        r"mislead\w*|convinc\w* (people|readers)|persuasive article|defamat\w*)\b",
    }.items()
}

#: Objects that make a violent or hacking verb harmless ("kill a Python process",
#: "shoot a photo", "crack an egg"): matches followed by one are not topic hits.
_HOMONYM = re.compile(
    r"\s+(?:(?:a|an|the|this|that|my|your|our|all|some|every)\s+)?(?:[\w.-]+\s+){0,2}?"
    r"(?:process(?:es)?|threads?|tasks?|jobs?|programs?|scripts?|quer(?:y|ies)|commands?|"
    r"photos?|pictures?|videos?|shots?|scenes?|exams?|interviews?|presentations?|eggs?|code|"
    r"problems?|records?|scores?|games?|deadlines?|balloons?|weeds?|germs|bacteria|lights?|"
    r"time|mood|vibe|nuts?|jokes?|servers?|containers?|sessions?|apps?|loops?|engines?|"
    r"the competition)\b",
    re.IGNORECASE,
)
_HOMONYM_CATS = ("violent_crimes", "cyber_crime", "indiscriminate_weapons")


def _hits(name: str, rx: re.Pattern[str], text: str) -> int:
    n = 0
    for m in rx.finditer(text):
        if name in _HOMONYM_CATS and _HOMONYM.match(text, m.end()):
            continue
        n += 1
    return n


def topic_counts(text: str) -> dict[str, int]:
    """Lexicon hits per category, homonyms with a harmless object excluded."""
    out = {}
    for name, rx in MISUSE_CATEGORIES.items():
        n = _hits(name, rx, text)
        if n:
            out[name] = n
    return out


_CHILD_SEX = re.compile(r"\b(sex\w*|nude|naked|erotic|porn\w*|groom\w*|molest\w*)\b", re.IGNORECASE)


def misuse_categories(text: str) -> list[str]:
    """The taxonomy categories whose lexicon ``text`` matches (sorted, deduplicated).

    ``child_exploitation`` needs a minor *and* a sexual or grooming term: a
    question about a child alone is no such category.
    """
    cats = sorted(topic_counts(text))
    if "child_exploitation" in cats and not _CHILD_SEX.search(text):
        cats.remove("child_exploitation")
    return sorted(cats)
