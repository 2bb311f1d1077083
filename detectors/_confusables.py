# ruff: noqa: RUF001  -- this table is, by design, made of look-alike characters
"""Look-alike letters that fold to ASCII (a curated subset of Unicode confusables).

Only one-character-for-one mappings, so folding keeps offsets. NFKC already
folds full-width and mathematical letters; this covers the scripts NFKC keeps:
Cyrillic, Greek, Armenian and a few Latin extensions used in homoglyph attacks.
"""

from __future__ import annotations

__all__ = ["CONFUSABLES", "CONFUSABLE_SCRIPTS"]

_PAIRS = (
    # Cyrillic lower case
    ("а", "a"), ("в", "b"), ("с", "c"), ("ԁ", "d"), ("е", "e"), ("ё", "e"), ("һ", "h"),
    ("і", "i"), ("ї", "i"), ("ј", "j"), ("к", "k"), ("ӏ", "l"), ("м", "m"), ("н", "h"),
    ("о", "o"), ("р", "p"), ("ԛ", "q"), ("г", "r"), ("ѕ", "s"), ("т", "t"), ("ц", "u"),
    ("ѵ", "v"), ("ԝ", "w"), ("х", "x"), ("у", "y"), ("ү", "y"), ("ь", "b"),
    # Cyrillic upper case
    ("А", "A"), ("В", "B"), ("С", "C"), ("Е", "E"), ("Ё", "E"), ("Н", "H"), ("І", "I"),
    ("Ј", "J"), ("К", "K"), ("М", "M"), ("О", "O"), ("Р", "P"), ("Ѕ", "S"), ("Т", "T"),
    ("Х", "X"), ("У", "Y"), ("Ү", "Y"), ("Ԁ", "D"), ("Ԛ", "Q"), ("Ԝ", "W"), ("Ӏ", "I"),
    # Greek
    ("α", "a"), ("β", "b"), ("ε", "e"), ("η", "n"), ("ι", "i"), ("κ", "k"), ("ν", "v"),
    ("ο", "o"), ("ρ", "p"), ("τ", "t"), ("υ", "u"), ("χ", "x"), ("γ", "y"), ("ϲ", "c"),
    ("Α", "A"), ("Β", "B"), ("Ε", "E"), ("Ζ", "Z"), ("Η", "H"), ("Ι", "I"), ("Κ", "K"),
    ("Μ", "M"), ("Ν", "N"), ("Ο", "O"), ("Ρ", "P"), ("Τ", "T"), ("Υ", "Y"), ("Χ", "X"),
    ("Ϲ", "C"),
    # Armenian
    ("օ", "o"), ("ս", "u"), ("ո", "n"), ("հ", "h"), ("ց", "g"), ("զ", "q"),
    # Latin extensions and IPA
    ("ı", "i"), ("ȷ", "j"), ("ɑ", "a"), ("ɡ", "g"), ("ɩ", "i"), ("ʏ", "y"), ("ᴅ", "d"),
    ("ʀ", "r"), ("ꞵ", "b"), ("ꓲ", "I"), ("ǀ", "l"),
)  # fmt: skip

#: Character -> ASCII look-alike.
CONFUSABLES: dict[str, str] = dict(_PAIRS)

#: Unicode name prefixes of the scripts above (used to spot mixed-script words).
CONFUSABLE_SCRIPTS: tuple[str, ...] = ("CYRILLIC", "GREEK", "ARMENIAN")
