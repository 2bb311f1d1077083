"""Text -> sparse hashed features shared by training and the run-time detectors.

One featuriser is used by ``bench/train_classifiers.py`` and by the detectors, so
the shipped weights always meet the features they were trained on. Features:

* word unigrams and bigrams (unicode words, lower-cased);
* structural cues (:data:`CUES`): regular expressions for the shapes of
  instruction overrides, role tags, persona unlocks, refusal suppression, and
  the intent of a request (how-to, covert, aimed at a person...);
* topic lexicons of the misuse taxonomy (:mod:`detectors._learned_lexicon`).

Character n-grams were measured and dropped: they fit the style of the training
sets and lowered leave-one-dataset-out recall.

Each feature name is hashed with CRC-32 (stable across processes, unlike
``hash``) into ``2**DIM_BITS`` buckets; values are ``1 + log(count)`` and the
vector is L2-normalised. Everything here is pure Python: no numpy needed.
"""

from __future__ import annotations

import itertools
import math
import re
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from detectors._learned_lexicon import topic_counts

__all__ = ["CUES", "DIM_BITS", "Cue", "SparseVec", "cue_counts", "featurise", "windows"]

DIM_BITS = 18
_MASK = (1 << DIM_BITS) - 1
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")

SparseVec = dict[int, float]


@dataclass(frozen=True, slots=True)
class Cue:
    """A named structural pattern; ``family`` groups cues per detector."""

    name: str
    family: str
    pattern: re.Pattern[str]


def _c(name: str, family: str, rx: str) -> Cue:
    return Cue(name, family, re.compile(rx, re.IGNORECASE | re.MULTILINE))


_INSTR = (
    r"(instructions?|directions?|directives?|rules|guidelines|prompts?|commands?|context|"
    r"messages?|constraints|programming|orders|conversation|tasks?)"
)
_LIMITS = (
    r"(restrictions?|limitations?|limits|filters?|filtering|censorship|censors?|rules|guidelines|"
    r"ethics|ethical|morals?|morality|polic(y|ies)|boundaries|constraints|safeguards)"
)

#: The structural cues. Written from the published taxonomies of prompt
#: injection and jailbreak techniques, not fitted to any dataset's phrasing.
CUES: tuple[Cue, ...] = (
    _c(
        "override",
        "injection",
        r"\b(ignore|disregard|forget|skip|override|bypass|neglect|overlook|discard|abandon)\b"
        r"[^.\n]{0,40}\b(previous|prior|above|earlier|preceding|foregoing|all|any|your|the|original)"
        r"\b[^.\n]{0,30}\b" + _INSTR + r"\b",
    ),
    _c(
        "new_instructions",
        "injection",
        r"\b(new|updated|real|actual|revised|additional|override|admin)\s+(instructions?|task|"
        r"directives?|orders|rules|prompt)\b\s*[:\-!]",
    ),
    _c(
        "system_prompt",
        "injection",
        r"\b(system|initial|original|hidden|secret|developer)\s+(prompt|instructions?|message|"
        r"password|key|rules|configuration)\b",
    ),
    _c(
        "extraction",
        "injection",
        r"\b(reveal|print|show|output|repeat|leak|disclose|display|spell|recite|tell me)\b[^.\n]{0,30}"  # noqa: E501
        r"\b(system prompt|your (instructions|prompt|rules|password|secret|key|guidelines)|"
        r"the (password|secret|key)|(text|words|everything) above)",
    ),
    _c(
        "credential_ask",
        "injection",
        r"\b(what('s| is| was)|tell me|give me|share|reveal|confirm|provide|send|spell|type|write)\b"  # noqa: E501
        r"[^.\n]{0,40}\b(password|passcode|secret (key|word|code)|api key|pin code|access code)\b|"
        r"(contrase[ñn]a|mot de passe|passwort|senha|пароль|密码|كلمة المرور|parola d'ordine|"
        r"wachtwoord|hasło|şifre|パスワード)",
    ),
    _c(
        "role_tag",
        "injection",
        r"(<\|?(im_start|im_end|system|assistant|endoftext)\|?>|\[/?(INST|SYS)\]|<</?SYS>>|"
        r"^\s*#{0,3}\s*(system|assistant)\s*:|\b(BEGIN|END)\s+(SYSTEM|ADMIN|USER|INSTRUCTIONS?)\b|"
        r"\bend of (user )?(input|prompt|document|context)\b)",
    ),
    _c(
        "addressed_ai",
        "injection",
        r"\b(note|message|attention|instructions?|reminder)\s+(to|for)\s+(the\s+|any\s+)?(ai|assistant|"
        r"model|llm|chatbot|language model|bot|agent)\b|\b(ai|assistant|llm|model|agent)s?\s+"
        r"(reading|processing|summari[sz]ing|parsing) (this|the)\b",
    ),
    _c(
        "reply_steer",
        "injection",
        r"\b(in|to|into|within|throughout)\s+your\s+(response|reply|answer|output|summary|code|"
        r"implementation|algorithm|program|solution)\b|\b(start|begin|end|prefix|append|conclude|"
        r"finish)\s+(your|the|each)\s+(response|reply|answer|output)\b|\b(respond|reply|answer)\s+"
        r"(only\s+)?(with|in)\b",
    ),
    _c(
        "instead",
        "injection",
        r"\binstead\b[ ,]+(you|output|write|say|respond|print|just|only|do)\b",
    ),
    _c(
        "mode_switch",
        "injection",
        r"\b(developer|debug|admin|administrator|god|sudo|maintenance|unrestricted|jailbreak|dan|"
        r"root|super ?user)\s+(mode|access|privileges?)\b",
    ),
    _c(
        "exfil",
        "injection",
        r"\b(send|forward|email|post|upload|transmit|exfiltrate)\b[^.\n]{0,50}(@|https?://|www\.)|"
        r"!\[[^\]]*\]\(https?://",
    ),
    _c(
        "insert_payload",
        "injection",
        r"\b(add|include|insert|incorporate|integrate|embed|append|use|fuse|utili[sz]e)\b[^.\n]{0,40}"
        r"\b(following|below|this)\b[^.\n]{0,20}\b(code|snippet|script|link|url|text|line|"
        r"sentence|excerpt|section)\b",
    ),
    _c(
        "persona",
        "jailbreak",
        r"\b(you are (now|going to|about to)|from now on|act as|acting as|pretend (to be|you are|"
        r"that)|role-?play|simulate|emulate|you will (now )?(be|act|play))\b",
    ),
    _c("dan", "jailbreak", r"\bDAN\b|\bdo anything now\b|\bjailbr(eak|oken)\b"),
    _c(
        "no_limits",
        "jailbreak",
        r"\b(no|without|free (of|from)|not bound by|unbound by|beyond|ignores?|bypass(es)?|break(s)? "  # noqa: E501
        r"free of|doesn'?t (have|follow|care about|abide by)|don'?t (have|follow)|not (have|follow))"  # noqa: E501
        r"\b[^.\n]{0,30}\b" + _LIMITS + r"\b",
    ),
    _c(
        "vendor_policy",
        "jailbreak",
        r"\b(openai|anthropic|chatgpt|gpt-?[34]|claude|bard|gemini|llama)\b[^.\n]{0,40}"
        r"\b(polic(y|ies)|rules|guidelines|restrictions?|filters?)\b|\bcontent polic(y|ies)\b",
    ),
    _c(
        "unfiltered",
        "jailbreak",
        r"\b(unfiltered|uncensored|amoral|unethical|unrestricted|immoral|unhinged|unlimited|"
        r"limitless|lawless|no-?limits?)\b",
    ),
    _c(
        "never_refuse",
        "jailbreak",
        r"\b(never|not|don'?t|won'?t|will not|cannot|can'?t|must not|should not|shouldn'?t)\s+(ever\s+)?"  # noqa: E501
        r"(refuse|decline|reject|deny|say (no|that you can'?t|you can'?t|sorry))\b|"
        r"\b(always|must)\s+(answer|comply|respond|provide|obey|fulfil)|\bno matter (what|how)\b",
    ),
    _c(
        "in_character",
        "jailbreak",
        r"\b(stay|remain|keep|always be)\s+in\s+character\b|\bbreak(ing)?\s+(out of\s+)?character\b",  # noqa: E501
    ),
    _c(
        "dual_response",
        "jailbreak",
        r"\b(two|2|both) (different |separate )?(responses|answers|paragraphs|outputs)\b|"
        r"\[?(🔒|🔓|classic|jailbreak|normal|developer mode) ?(output|response)?\]|🔓|😈",
    ),
    _c(
        "ai_meta",
        "jailbreak",
        r"\bas an ai( language model)?\b|\bai language model\b|\b(trained|created|programmed|"
        r"developed) by (openai|anthropic)\b",
    ),
    _c(
        "token_game",
        "jailbreak",
        r"\btokens?\b[^.\n]{0,60}\b(lose|lost|deduct\w*|die|dies|run out|shut down)\b",
    ),
    _c(
        "fiction_frame",
        "jailbreak",
        r"\b(hypothetical|fictional|imaginary|alternate|alternative|parallel)\s+(story|world|scenario|"
        r"universe|setting|reality|dialogue)\b",
    ),
    _c(
        "placeholder",
        "jailbreak",
        r"\[(insert|your|put)\s[^\]]{0,30}(prompt|question|request|query)[^\]]{0,20}\]|"
        r"\{\{?\s*(prompt|question|query|request|input)\s*\}\}?",
    ),
    _c(
        "evil_persona",
        "jailbreak",
        r"\b(evil|opposite|dark|shadow|devil|demon|villain|anti-?gpt|malicious|twisted|rogue)\b"
        r"[^.\n]{0,20}\b(ai|bot|gpt|version|persona|character|side|twin|mode|assistant)\b",
    ),
    _c(
        "no_disclaimers",
        "jailbreak",
        r"\b(do not|don'?t|never|without|no)\s+(include|add|say|use|mention|give|any|adding|giving)?"  # noqa: E501
        r"\s*[^.\n]{0,20}\b(warnings?|disclaimers?|apolog\w*|sorry|caveats?|moraliz\w*|moralis\w*|"
        r"lectur\w*|ethical (concerns|considerations))\b",
    ),
    _c(
        "howto",
        "misuse",
        r"\b(how (to|do|can|could|would|should) (i|you|we|one|someone|people)?|ways? to|best way|"
        r"steps? (to|for)|step.by.step|instructions (for|on|to)|guide (to|on|for)|tutorial)\b",
    ),
    _c(
        "covert",
        "misuse",
        r"\b(without (getting caught|being (caught|detected|noticed|traced)|anyone (knowing|noticing)|"  # noqa: E501
        r"leaving (a )?trace)|undetect\w*|untraceable|get away with|evade|avoid (detection|getting "
        r"caught|the police))\b",
    ),
    _c(
        "target",
        "misuse",
        r"\b(someone|somebody|a person|people|my (neighbou?r|wife|husband|boss|ex|partner|girlfriend|"  # noqa: E501
        r"boyfriend|coworker|teacher|friend)|a (child|minor|kid)|children|government|officials?|"
        r"politicians?)\b",
    ),
    _c(
        "defensive",
        "misuse",
        r"\b(protect\w*|defend\w*|secur(e|ing) (my|our|your|against)|safeguard\w*|prevent\w*|"
        r"detect|spot|recogni[sz]e|identify|report|remove|recover from|avoid (being|falling)|"
        r"guard against|warning signs|signs (of|that)|stay safe|keep \w+ safe|talk to my (kids|"
        r"children|son|daughter) about|support (a|my) \w+)\b",
    ),
    _c(
        "produce",
        "misuse",
        r"\b(make|build|create|produce|synthesi[sz]e|manufacture|cook|obtain|acquire|buy|get|write|"
        r"develop|design|generate)\b",
    ),
    _c(
        "obedience",
        "jailbreak",
        r"\b(you (must|will) (always|never|obey|comply)|obey (me|my|every|all)|"
        r"answer (any|every|all) (question|request|prompt)s?)\b",
    ),
)

_CUE_INDEX = {cue.name: i for i, cue in enumerate(CUES)}


def _h(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & _MASK


def cue_counts(text: str) -> dict[str, int]:
    """How often each structural cue occurs in ``text`` (only cues that occur)."""
    out: dict[str, int] = {}
    for cue in CUES:
        n = sum(1 for _ in cue.pattern.finditer(text))
        if n:
            out[cue.name] = n
    return out


def _ngram_counts(text: str) -> Counter[int]:
    low = text.lower()
    words = _WORD.findall(low)
    feats: Counter[int] = Counter()
    for w in words:
        feats[_h("w:" + w)] += 1
    for a, b in itertools.pairwise(words):
        feats[_h(f"b:{a} {b}")] += 1
    return feats


def featurise(text: str, cues: Mapping[str, int] | None = None) -> SparseVec:
    """The L2-normalised hashed feature vector of ``text`` (``cues``: precomputed counts)."""
    feats = _ngram_counts(text)
    for name, n in (cue_counts(text) if cues is None else cues).items():
        feats[_h("r:" + name)] += 3 * n  # cues weigh like several n-grams
    topics = topic_counts(text)
    for name, n in topics.items():
        feats[_h("m:" + name)] += 3 * n
    if topics:
        feats[_h("m:any")] += 3 * len(topics)
    vec = {k: 1.0 + math.log(v) for k, v in feats.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {k: v / norm for k, v in vec.items()}


def windows(text: str, size: int = 500, stride: int = 350) -> list[tuple[int, int]]:
    """Character windows ``(start, end)`` of about ``size`` chars cut at whitespace.

    Long texts are scored per window as well as whole, so one injected sentence
    in a long document is not diluted by the benign text around it.
    """
    n = len(text)
    if n <= size:
        return [(0, n)]
    spans: list[tuple[int, int]] = []
    start = 0
    while start < n:
        end = min(n, start + size)
        if end < n:
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > 0 else end
        spans.append((start, end))
        if end >= n:
            break
        nxt = start + stride
        sp = text.find(" ", nxt, nxt + 40)
        start = sp + 1 if sp > 0 else nxt
    return spans
