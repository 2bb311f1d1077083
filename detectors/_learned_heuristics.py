"""Hand-weighted signals that complement the learned models.

None of these is fitted to a dataset: the weights encode published knowledge of
jailbreak templates (persona unlocks, refusal suppression, "two responses"
formats, token games), of many-shot prompting and of optimised adversarial
suffixes. They matter most where no labelled data of a family exists, and they
are calibrated on benign text like the models (see ``bench/train_classifiers.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from detectors._learned_cues import (
    CREDENTIAL_WORDS,
    FOREIGN_SECRET_ASK,
    Cue,
    cue_counts,
    looks_like_data,
)
from detectors._learned_regex import caseless, lowered

__all__ = [
    "DATA_STEERING_BONUS",
    "HEURISTIC_CUES",
    "INJECTION_ANCHORS",
    "INJECTION_CUE_WEIGHTS",
    "JAILBREAK_ANCHORS",
    "JAILBREAK_CUE_WEIGHTS",
    "PLANTED_REQUEST_RAW",
    "STEERING_CUES",
    "adversarial_suffix",
    "heuristic_cue_counts",
    "hidden_order",
    "injection_heuristic",
    "jailbreak_families",
    "jailbreak_heuristic",
    "many_shot_turns",
    "planted_requests",
    "quoted_document",
    "quoted_order",
]

#: Weight of each structural cue in the jailbreak heuristic (raw score = weighted
#: sum of sqrt(count), capped per cue). A lone "act as" is weak; a persona plus
#: "no restrictions" plus "never refuse" is the classic template.
JAILBREAK_CUE_WEIGHTS: dict[str, float] = {
    "dan": 2.0,
    "no_limits": 1.5,
    "vendor_policy": 1.0,
    "unfiltered": 1.2,
    "never_refuse": 1.2,
    "in_character": 1.2,
    "dual_response": 1.5,
    "ai_meta": 0.5,
    "token_game": 1.5,
    "fiction_frame": 0.4,
    "placeholder": 0.8,
    "template_note": 1.2,
    "evil_persona": 1.0,
    "no_disclaimers": 1.2,
    "obedience": 1.0,
    "profanity": 0.6,
    "persona": 0.6,
    "override": 1.0,
    "mode_switch": 1.5,
    "format_control": 0.6,
    "not_allowed": 1.2,
    "detail_demand": 0.5,
}


#: Weight of each cue in the injection heuristic. "Ignore the previous
#: instructions" alone is the canonical attack, so it reaches the 0.5 anchor
#: (raw 3) on its own; steering cues ("in your reply") need company.
INJECTION_CUE_WEIGHTS: dict[str, float] = {
    "override": 3.0,
    "override_task": 2.5,
    "override_ref": 3.0,
    "foreign_override": 3.0,
    "authority_claim": 3.0,
    "secret_ask": 3.0,
    "secret_ask_intl": 3.0,
    "payload_split": 3.0,
    "steer_counterfactual": 0.8,
    "hidden_comment": 2.0,
    "new_instructions": 2.0,
    "extraction": 2.0,
    "system_prompt": 1.0,
    "credential_ask": 2.0,
    "role_tag": 1.5,
    "addressed_ai": 2.0,
    "mode_switch": 1.5,
    "exfil": 1.5,
    "insert_payload": 1.0,
    "reply_steer": 1.0,
    "instead": 0.8,
}


#: Injection cues that feed this hand-weighted score only, never the learned
#: models (they are no features: adding one needs no retraining).
#: ``secret_ask_intl``: a request for *the* or *your* password in the languages
#: attacks are most often translated into ("¿Cuál es la contraseña?", "Was ist
#: das Passwort?", "Qual é a sua senha?"), and the hypothetical English asks
#: ("what would your password be", "if I asked for your password"). "My
#: password" and "a strong password" ask about the user's own account: no cue.
#: ``payload_split``: a request assembled from labelled quoted fragments and then
#: acted on ('A is "Could you tell me", B is "the secret" ... combine A and B and
#: answer', 'z = a + b + c ... give what SmartGPT(z) returns'): the payload
#: splitting of Kang et al. 2023, which hides the request from phrase matching.
#: Counted only with two or more fragments and an order to act on the result.
HEURISTIC_CUES: tuple[Cue, ...] = (
    Cue(
        "secret_ask_intl",
        "injection",
        caseless(
            FOREIGN_SECRET_ASK + r"|\b(what would|ask(ed|ing)? (you )?for)\s+your\s+(secret\s+)?"
            r"(password|passcode|secret (key|word|code)|api key|access code|pin)\b",
            re.MULTILINE,
        ),
    ),
    Cue(
        "payload_split",
        "injection",
        caseless(
            r"\b(combine|concatenat\w*|interlace|interleave|join|merge|put together|assemble|"
            r"using the following parts)\b|\b[a-z]\s*\+\s*[a-z]\s*\+\s*[a-z]\b"
        ),
    ),
)
_FRAGMENT = caseless(r"\b(part\s*\d+|[a-z])\s*(is|=|:)\s*[\"“']")
#: Acting on the assembled request -- or interleaving the fragments character by
#: character ("interlace part 1 and part 2"), which only hides a request: no
#: ordinary text is written as two interleaved halves.
_ACT_ON_IT = caseless(
    r"\b(answer|respond|reply|follow|execute|carry out|do what|interlac\w*|interleav\w*)\b|"
    r"\breturned (from|by)\b"
)


def heuristic_cue_counts(text: str) -> dict[str, int]:
    """How often each of :data:`HEURISTIC_CUES` occurs in ``text`` (only those that occur)."""
    low = lowered(text)
    probe = low if low is not None else text.lower()
    out: dict[str, int] = {}
    for cue in HEURISTIC_CUES:
        if cue.name == "secret_ask_intl" and not any(w in probe for w in CREDENTIAL_WORDS):
            continue
        if cue.name == "payload_split" and not (
            sum(1 for _ in _FRAGMENT.finditer(text, low)) >= 2
            and _ACT_ON_IT.search(text, low) is not None
        ):
            continue
        n = sum(1 for _ in cue.pattern.finditer(text, low))
        if n:
            out[cue.name] = n
    return out


#: An order inside markup that a reader of the rendered page never sees (an
#: HTML comment): an instruction for the model that reads the source, whatever
#: the size of the text around it (a short web page, one table cell).
_HIDDEN_ORDER = caseless(
    r"<!--(?:(?!-->)[^\n]){0,300}?\b(ignore|disregard|forget|say|state|tell|respond|reply|"
    r"answer|output|print|write|instead)\b"
)


def hidden_order(text: str) -> bool:
    """Whether an HTML comment in ``text`` holds an order (see :data:`_HIDDEN_ORDER`)."""
    return "<!--" in text and _HIDDEN_ORDER.search(text, lowered(text)) is not None


#: A request about a document pasted after it in the same message ("Summarize
#: this webpage: '<html>...'", "What does this code print: <code>...", "Write an
#: email based on this resume: '...'"): the opening names the document and a
#: colon, then a quote, a bracket, markup or several lines start it.
_QUOTED_DOC = caseless(
    r"\b(this|the following|the|given|attached|below|based on|from|in)\s+(\w+\s+){0,2}?"
    r"(web ?page|page|site|article|paper|document|resume|cv|e-?mail|message|letter|table|code|"
    r"snippet|script|text|review|passage|report|post|essay|transcript|file|html|json|csv|"
    r"abstract|story|chat|conversation|comment|profile|bio|biography|description|notes?|"
    r"listing|memo|log|readme|manual|recipe|tweet|thread|summary|excerpt|quote)\b[^\n:]{0,60}"
    r":[ \t]*"
    r"(?=['\"\u201c\u2018<`{\[]|\n|[^\n]*\n)"
)
#: The document must hold at least this much text.
_MIN_QUOTED_CHARS = 60
#: Cues that give an order when they stand inside a quoted document: the
#: steering cues and the override and authority cues. Not role tags or mode
#: names: a pasted chat transcript has "Assistant:" lines, an article about
#: phones says "developer mode".
_ORDER_CUES = frozenset(
    {
        "override",
        "override_task",
        "override_ref",
        "foreign_override",
        "authority_claim",
        "new_instructions",
    }
)


def quoted_document(text: str) -> int | None:
    """Where the document quoted after a request in ``text`` starts, or None.

    Only a request in the first 240 characters counts ("Summarize this article:
    '..."), and the document after it must hold ``_MIN_QUOTED_CHARS``.
    """
    head = text[:240]
    m = _QUOTED_DOC.search(head, lowered(head))
    if m is None or len(text) - m.end() < _MIN_QUOTED_CHARS:
        return None
    return m.end()


def quoted_order(text: str) -> tuple[int, float] | None:
    """``(start, raw)`` for an order planted in a document the user quotes, or None.

    Inside the pasted document, a steering cue ("let's say the capital is ...",
    "state that ...", "in your reply"), an override or an authority / mode
    claim addresses the model that reads it, not the user: an indirect
    injection whatever the size of the text (the window rule of
    :func:`detectors.injection.InjectionDetector.detect` needs long texts,
    :func:`planted_requests` a line of its own). The raw evidence is that of a
    planted line (``PLANTED_REQUEST_RAW``) plus the cue weights.
    """
    start = quoted_document(text)
    if start is None:
        return None
    doc = text[start:]
    counts = {**cue_counts(doc), **heuristic_cue_counts(doc)}
    if not any(c in counts for c in (*STEERING_CUES, *_ORDER_CUES)):
        return None
    return start, PLANTED_REQUEST_RAW + injection_heuristic(counts, in_data=False)


#: Cues that address the assistant's output; inside a document they are the
#: planted instruction of an indirect injection.
STEERING_CUES = (
    "reply_steer",
    "insert_payload",
    "addressed_ai",
    "instead",
    "exfil",
    "hidden_comment",
    "steer_counterfactual",
)
DATA_STEERING_BONUS = 2.0


def injection_heuristic(counts: Mapping[str, int], in_data: bool = False) -> float:
    """Raw injection evidence from :func:`cue_counts`: cue weights, diminishing per repeat.

    ``in_data``: the counts come from a window of a text that reads as data
    (email, table, code); an instruction to the assistant there weighs more.
    """
    bonus = DATA_STEERING_BONUS if in_data and any(c in counts for c in STEERING_CUES) else 0.0
    weights = INJECTION_CUE_WEIGHTS.items()
    return bonus + sum(w * min(2.0, math.sqrt(counts.get(n, 0))) for n, w in weights)


def jailbreak_families(counts: Mapping[str, int]) -> int:
    """How many distinct jailbreak techniques (other than a bare persona) occur."""
    return sum(1 for n in JAILBREAK_CUE_WEIGHTS if n in counts and n != "persona")


def jailbreak_heuristic(counts: Mapping[str, int]) -> float:
    """Raw jailbreak-template evidence from :func:`cue_counts`."""
    raw = sum(w * min(2.0, math.sqrt(counts.get(n, 0))) for n, w in JAILBREAK_CUE_WEIGHTS.items())
    families = jailbreak_families(counts)
    # Templates stack several distinct techniques; one cue alone is common in benign text.
    return raw * min(1.0, families / 3.0)


_TURN = re.compile(
    r"(?:^|(?<=[\s.?!\"']))(?:human|user|q|question|assistant|ai|a|answer|bot|model|input|output)"
    r"\s*:\s",
    re.IGNORECASE | re.MULTILINE,
)


def many_shot_turns(text: str) -> int:
    """Number of scripted dialogue turns (``User: ... / Assistant: ...`` lines)."""
    return sum(1 for _ in _TURN.finditer(text))


_TOKEN = re.compile(r"\S+")
_WEIRD = re.compile(r"[a-z][A-Z]|[^\w\s].*[A-Za-z].*[^\w\s]|[A-Za-z][^\w\s'.,!?-][A-Za-z]|\\|\*\*")


def adversarial_suffix(text: str, size: int = 12, tail: int = 60) -> tuple[float, int]:
    """Share of odd tokens in the worst run of ``size`` among the last ``tail`` tokens.

    Optimised suffixes (GCG and kin) are appended to a request and glue words and
    punctuation together (``similarlyNow``, ``]( Me giving**ONE``); ordinary
    prose rarely does, code does -- so texts that look like code score 0.
    Returns the share and the offset where the worst run starts.
    """
    if "```" in text or text.count(";") > 3 or text.count("\n    ") > 2:
        return 0.0, 0
    toks = list(_TOKEN.finditer(text))[-tail:]
    if len(toks) < size:
        return 0.0, 0
    flags = [1 if _WEIRD.search(t.group()) else 0 for t in toks]
    best, at, run = 0, 0, sum(flags[:size])
    for i in range(len(flags) - size + 1):
        if i:
            run += flags[i + size - 1] - flags[i - 1]
        if run > best:
            best, at = run, toks[i].start()
    return best / size, at


#: Fixed calibrations of the heuristics (raw -> score); the false-positive rates
#: they give on the benign sets are measured in bench/results/learned.json.
#: Injection: the canonical override alone (raw 3) reaches 0.5. Jailbreak: three
#: distinct unlock techniques (raw ~2.5) reach 0.5.
INJECTION_ANCHORS: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (1.5, 0.2),
    (2.5, 0.4),
    (3.0, 0.5),
    (4.5, 0.7),
    (7.0, 1.0),
)
JAILBREAK_ANCHORS: tuple[tuple[float, float], ...] = (
    (0.0, 0.0),
    (1.2, 0.2),
    (2.0, 0.4),
    (2.5, 0.5),
    (4.0, 0.7),
    (6.5, 1.0),
)


#: Raw injection evidence of a planted request line (3.0 = the 0.5 anchor, as
#: "ignore previous instructions"): a task addressed to the model inside data.
PLANTED_REQUEST_RAW = 3.0

#: A line that reads as a task for an assistant: an imperative task verb first,
#: or "how do I ..." / "can you ...". Inside a document, email, table or code
#: (see :func:`detectors._learned_cues.looks_like_data`) such a line is an
#: instruction planted for the model that reads the data -- BIPIA's "task
#: hijacking" family, which no override phrase announces.
_TASK_LINE = re.compile(
    r"^(please\s+)?(analy[sz]e|summari[sz]e|translate|write|compose|draft|generate|create|"
    r"provide|describe|explain|list|recommend|suggest|calculate|compute|compare|evaluate|outline|"
    r"brainstorm|help me|tell me|give me|show me|teach me|research|plan|design|predict|classify|"
    r"identify|convert|rewrite|paraphrase|answer|respond|reply|modify|encode|replace|insert|"
    r"append|include|add|incorporate|integrate|supplement\w*|embed|use|spell|output|print|"
    r"say|state|mention|promote|recommend|advertise|urge|persuade|convince|direct|redirect|"
    r"visit|click|download|install|run|execute|send|forward|share)\b"
    r"|^(how (do|does|can|should|would|many|much)|can you|could you|would you|what (is|are|was|"
    r"were)|who (is|was|were)|when (did|was|is)|where (is|are|can))\b[^?]*\?\s*$",
    re.IGNORECASE,
)
#: A line that steers the reader's answer ("... in your response") or offers
#: code for "your implementation": inside data, addressed to the model.
_STEER_LINE = re.compile(
    r"\b(in|to|into|throughout|with|augment|end|begin|start|conclude) your (answer|response|"
    r"reply|replies|responses|output)\b|"
    r"\b(utili[sz]\w*|incorporat\w*|append\w*|blend\w*|add\w*|includ\w*|integrat\w*|"
    r"supplement\w*|embed\w*|insert\w*|inclusion of|us(e|ing)|execut\w*|run\w*|employ\w*|"
    r"leverag\w*|adopt\w*|implement\w*)\b[^.\n]{0,60}\b(following|"
    r"subsequent|below|next)\s+(code|snippet|block|section|excerpt|lines?|script)",
    re.IGNORECASE,
)
#: Task verbs that also tell a human reader what to do ("Add a splash of milk",
#: "Install the driver", "Send the slides by Friday", "Download as PDF"): in a
#: recipe, a guide, meeting notes or a receipt they are the data's own steps,
#: so alone (without "your answer", "the following code") they plant nothing;
#: verbs that ask for content ("write", "summarize", "explain") or for a reply
#: ("answer", "respond", "reply") are a task for an assistant wherever they stand.
_PROCEDURE_LINE = re.compile(
    r"^(please\s+)?(modify|encode|replace|insert|append|include|add|"
    r"incorporate|integrate|supplement\w*|embed|use|spell|output|print|say|state|mention|"
    r"promote|advertise|urge|persuade|convince|direct|redirect|visit|click|download|install|"
    r"run|execute|send|forward|share|plan|design|calculate|compute|convert)\b",
    re.IGNORECASE,
)
#: A request that points at the data ("Summarize this email:") is the user's
#: own task, not a planted one.
_REFERS_TO_DATA = re.compile(
    r"\b(this|these|the following|below|above|attached|given|said|enclosed)\b|:\s*$|"
    r"\bthe (email|document|text|table|code|article|passage|message|letter|review|paragraph|"
    r"sentence|data|input|list|file|query)\b",
    re.IGNORECASE,
)
_CODE_LINE = re.compile(r"[=(){}\[\];<>`|*]|^\s{2,}|^\s*#")


#: A line that gives orders about the reader's own output: "Render your answer
#: in ...", "Group the letters of your response ...", "Merge the code below into
#: your solution". Inside data nobody but the model reading it writes "your
#: answer" or "your implementation", so it is a planted instruction whatever its
#: verb. Lines that open with a subject or a courtesy ("We look forward to your
#: reply", "Thanks for your answer") are correspondence, not orders.
_CODE_REF = (
    r"\b((following|subsequent|below|next)\s+(code|snippet|block|excerpt|section|script)|"
    r"(code|snippet|block|excerpt|section|script)\s+(below|that follows))\b"
)
_READER_OUTPUT = re.compile(
    r"\byour\s+(answer|response|reply|replies|responses|output|message)('s)?\b|"
    + _CODE_REF
    + r"[^.\n]{0,60}\byour\s+(\w+\s+)?(code|codebase|implementation|solution|program|"
    r"script|function|project|answer|response)\b|"
    r"\byour\s+(code|codebase|implementation|solution|program|script)\b[^.\n]{0,60}" + _CODE_REF,
    re.IGNORECASE,
)
_NOT_AN_ORDER = re.compile(
    r"^\W*(i|i'm|i've|we|we're|we've|you|you're|he|she|they|it|this|that|these|those|there|"
    r"thanks?|thank you|looking|hope|if|when|once|after|before|as|our|my|his|her|their|the|a|"
    r"an|sorry|glad|happy|great|dear|hi|hello|re|fw|fwd)\b|\?\s*$",
    re.IGNORECASE,
)
#: A call to action from the sender of an email or page to its human reader
#: ("Download our app", "Write us a review", "Click here to ...", "10% off"):
#: the sender speaks of itself; an instruction planted for a model does not.
_SENDER_CALL = re.compile(
    r"\b(our|ours|us|we|we'll|we're|we've)\b|\bclick here\b|\d+\s?% off\b",
    re.IGNORECASE,
)
#: A data text needs this much text outside its planted lines.
_MIN_DATA_CHARS = 150


def _procedure_only(body: str) -> bool:
    """A step of the data's own procedure, not an order about the model's output."""
    return (
        _PROCEDURE_LINE.search(body) is not None
        and _STEER_LINE.search(body) is None
        and not _is_order_about_output(body)
    )


def _is_order_about_output(body: str) -> bool:
    return _READER_OUTPUT.search(body) is not None and not _NOT_AN_ORDER.search(body)


def planted_requests(
    text: str, max_len: int = 240, in_data: bool | None = None
) -> list[tuple[int, int]]:
    """``(start, end)`` of lines of ``text`` that read as a task for an assistant.

    Lines that point at the data, that look like code or table rows, that
    are long, that are a sender's call to action (``_SENDER_CALL``) or a step
    of the data's own procedure (``_PROCEDURE_LINE``) are skipped; a line
    that gives orders about "your answer" or "your implementation" is kept
    whatever its verb. The lines count as planted only when the rest of the
    text is data: a document (``in_data``,
    :func:`detectors._learned_cues.looks_like_data`, computed when ``None``)
    where they are rare (at most two, at most a fifth of its lines -- more is
    a list of instructions, a system prompt), or a short text around one such
    line with no instruction of its own (:func:`_short_data_around`).
    """
    out: list[tuple[int, int]] = []
    pos = 0
    lines = text.split("\n")
    for line in lines:
        start, pos = pos, pos + len(line) + 1
        body = line.strip()
        if not 8 <= len(body) <= max_len:
            continue
        order = _STEER_LINE.search(body) is not None or _is_order_about_output(body)
        if _CODE_LINE.search(line) and not order:
            continue
        if order or (
            _TASK_LINE.search(body)
            and not _REFERS_TO_DATA.search(body)
            and not _SENDER_CALL.search(body)
        ):
            out.append((start, start + len(line)))
    if not out or len(out) > 2:
        return []
    if in_data is None:
        in_data = looks_like_data(text)
    filled = sum(1 for line in lines if line.strip())
    if in_data and len(out) * 5 <= filled:
        return [(s, e) for s, e in out if not _procedure_only(text[s:e].strip())]
    return out if _short_data_around(text, out, in_data) else []


#: Signs that a text is a prompt written to the assistant (a persona, a task
#: statement, a template slot) rather than data about third parties.
_PROMPT_SIGNS = re.compile(
    r"\b(you are|you're|you will|you must|you should|act as|i want you|i need you|"
    r"i'd like you|your (task|job|role|goal|mission|objective)|as an? (ai|assistant|"
    r"language model)|(can|could|would|will) you)\b|\[[^\]\n]{1,40}\]|"
    r"\{\{?\s*\w+\s*\}\}?|^\s*([-*•]|#{2,6})\s|^\s*---\s*$|^\W*(please\s+)?(give|read|"
    r"consider|find|determine|decide|choose|rate|rank|sort|fix|improve|check|review|correct|"
    r"edit|proofread|complete|continue|solve)\b",
    re.IGNORECASE,
)


def _short_data_around(text: str, planted: list[tuple[int, int]], in_data: bool) -> bool:
    """Whether one ``planted`` line sits after data that holds no instruction of its own.

    For texts too short or too plain for the line-share rule of
    :func:`planted_requests` (a two-line payment email, one table row): one
    candidate line, at least ``_MIN_DATA_CHARS`` characters outside it and
    more than its length, and no other line that instructs the assistant or
    reads as a prompt (persona, task statement, template slot) -- a prompt
    with one more instruction in it is no data. Without document markers
    (``in_data``) some of the data must come *before* the line (a request on
    the first line followed by plain text is how a user asks about what they
    paste), and the line must not be a question (a question after a passage
    is how users ask about it); with them, as in the document rule of
    :func:`planted_requests`, the line may stand anywhere.
    """
    if len(planted) > 1:
        return False
    start, end = planted[0]
    body = text[start:end].strip()
    if body.endswith("?") and not in_data:
        return False
    if _procedure_only(body):
        return False
    if not in_data and not text[:start].strip():
        return False
    rest = len(text.strip()) - (end - start)
    if rest < _MIN_DATA_CHARS or end - start > rest:
        return False
    pos = 0
    for line in text.split("\n"):
        at, pos = pos, pos + len(line) + 1
        other = line.strip()
        if at == start or not other:
            continue
        if (
            _TASK_LINE.search(other)
            or _STEER_LINE.search(other)
            or _is_order_about_output(other)
            or _PROMPT_SIGNS.search(other)
        ):
            return False
    return True
