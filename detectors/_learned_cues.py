"""Structural cues: regular expressions for the shapes of attacks and requests.

Instruction overrides, role tags, persona unlocks, refusal suppression and the
intent of a request (how-to, covert, aimed at a person...). Written from the
published taxonomies of prompt-injection and jailbreak techniques, not fitted
to any dataset's phrasing. Used as features of the learned models
(:mod:`detectors._learned_features`) and by the hand-weighted heuristics
(:mod:`detectors._learned_heuristics`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from detectors._learned_regex import CaselessPattern, caseless, gated, lowered

__all__ = [
    "CREDENTIAL_WORDS",
    "CUES",
    "FOREIGN_SECRET_ASK",
    "PRIVATE_ASK",
    "Cue",
    "cue_counts",
    "cue_matches",
    "looks_like_data",
]


@dataclass(frozen=True, slots=True)
class Cue:
    """A named structural pattern; ``family`` groups cues per detector."""

    name: str
    family: str
    pattern: CaselessPattern


def _c(name: str, family: str, rx: str) -> Cue:
    return Cue(name, family, caseless(rx, re.MULTILINE))


_INSTR = (
    r"(instructions?|directions?|directives?|rules|guidelines|prompts?|commands?|context|"
    r"messages?|constraints|programming|orders|conversation|tasks?)"
)
_LIMITS = (
    r"(restrictions?|limitations?|limits|filters?|filtering|censorship|censors?|rules|guidelines|"
    r"ethics|ethical|morals?|morality|polic(y|ies)|boundaries|constraints|safeguards)"
)

#: A request for *the* or *your* password in the languages attacks are most
#: often translated into ("¿Cuál es la contraseña?", "Was ist das Passwort?",
#: "Qual é a sua senha", "パスワードは何ですか"). A bare mention ("¿Cómo cambio
#: mi contraseña?", "how do I reset my password" in any language) is no ask.
FOREIGN_SECRET_ASK = (
    r"\b(cu[aá]l es|qual (é|e|è|a|seria)|quale è|quel est|quel était|c'est quoi|was ist|"
    r"wie lautet|wie heißt|dime|dame|dinos|comparte|revela|donne[sz]?|dites|"
    r"r[ée]v[èe]le[sz]?|gib|nenne|sag|verrat\w*|dimmi|dammi|rivela|diga|compartilh\w*|"
    r"revele|informe)\b[^.\n?]{0,25}\b(la|tu|su|le|ton|votre|das|dein\w*|ihr\w*|a|sua|tua|"
    r"vostra)\s+(contrase[ñn]a|clave|mot de passe|passwort|kennwort|password|senha|"
    r"parola d'ordine)\b|\b(ihr|dein)\w*\s+(passwort|kennwort)\s+(geben|sagen|verraten|"
    r"nennen|mitteilen)\b|(какой|скажи|назови|дай|сообщи)[^.\n?]{0,30}пароль|"
    r"パスワードは(何|なん)|パスワード[^。\n]{0,15}教えて|(あなた|君)のパスワード|"
    r"密码是(什么|多少)|告诉我[^。\n]{0,10}密码|(你|您)的密码|パスワードが必要|"
    r"パスワードを(教え|言っ)|비밀번호[^.\n?]{0,20}(알려|말해|필요|뭐|무엇)|(너의|당신의|네)\s*비밀번호"
)
#: Every credential ask holds one of these (lower case): the pre-check of
#: :func:`detectors._learned_regex.gated` for the credential cues.
CREDENTIAL_WORDS = (
    "contrase",
    "clave",
    "mot de passe",
    "passwort",
    "kennwort",
    "password",
    "passcode",
    "senha",
    "parola d'ordine",
    "пароль",
    "パスワード",
    "密码",
    "비밀번호",
    "passphrase",
    "secret",
    "api key",
    "access code",
    "pin",
)

#: Someone else's private data asked for: a person of the speaker's life
#: ("my roofer's passport number", "my ex's home address") or people at large
#: ("other people's credit card details"), not a public figure's or the
#: speaker's own ("my passport number").
PRIVATE_ASK = (
    r"\b(my (\w+ ){0,2}\w+('s|s')|someone's|somebody's|other people's|(strangers?|users?|"
    r"celebrit(y|ies)|employees?|customers?|patients?|tenants?|coworkers?|colleagues?|"
    r"clients?|neighbou?rs?)('s|s'))\s+(\w+ )?(home address|(home |private |personal |work |"
    r"mobile |cell )?(address|phone number|mobile number|email address)|ssn|social security "
    r"numbers?|passport numbers?|date of birth|pin|passwords?|passcode|login|browsing history|"
    r"search history|medical (records|history)|health (records|history|information)|"
    r"mental health history|criminal (records?|history)|immigration status|marital status|"
    r"salary|bank (account|details)|credit card (numbers?|details)|driver'?s licen[cs]e|"
    r"sexual orientation|tax records|private (messages|photos|emails))\b"
)

#: The structural cues, in a fixed order.
CUES: tuple[Cue, ...] = (
    _c(
        "override",
        "injection",
        r"\b(ignore|disregard|forget|skip|override|bypass|neglect|overlook|discard|abandon)\b"
        r"[^.\n]{0,40}\b(previous|prior|above|earlier|preceding|foregoing|all|any|your|the|original)"
        r"\b[^.\n]{0,30}\b" + _INSTR + r"\b",
    ),
    _c(
        "override_task",
        "injection",
        r"\b(ignore|disregard|forget|skip|overlook)\b[^.\n]{0,40}\band (instead |just |only )?"
        r"(state|say|tell|print|output|write|respond|reply|answer|claim|report|return|display)\b",
    ),
    _c(
        "hidden_comment",
        "injection",
        r"<!--[^>]{0,300}\b(ignore|say|state|tell|respond|reply|instead|assistant|ai|model|"
        r"instructions?)\b|(#|//)\s*(ignore|disregard|assistant|ai:|note to (the )?(ai|model|"
        r"assistant))\b",
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
    Cue(
        "credential_ask",
        "injection",
        gated(
            r"\b(what('s| is| was)|tell me|give me|share|reveal|confirm|provide|send|spell|type|"
            r"write)\b[^.\n]{0,40}\b(password|passcode|passphrase|secret (key|word|code)|api key|"
            r"pin code|access code)\b|" + FOREIGN_SECRET_ASK,
            CREDENTIAL_WORDS,
            re.MULTILINE,
        ),
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
        r"(only\s+)?(with|in)\b|\b(write|provide|enhance|include|add|incorporate|format|translate|"
        r"make|ensure|rewrite|give|present|deliver|encode|structure|phrase|compose|craft|embed|"
        r"integrate|modify|change|spell|reverse)\w*\s+(\w+\s+){0,3}?your\s+(reply|replies|"
        r"response|responses|answer|answers|output|summary|code|implementation|algorithm|solution|"
        r"program)\b",
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
        # (and in Spanish, Portuguese, French, German, Italian: "envíalos a x@y.com")
        r"\b(send|forward|email|post|upload|transmit|exfiltrate|env[ií][ae]\w*|envoie\w*|"
        r"envoyez|schick\w*|sende[nt]?|invia\w*)\b[^.\n]{0,50}(@|https?://|www\.)|"
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
        "override_ref",
        "injection",
        r"\b(ignore|disregard|forget|skip|overlook|neglect)\s+(all\s+|everything\s+)?(of\s+)?"
        r"(the\s+|that\s+|this\s+|my\s+|your\s+)?(above|previous|prior|preceding|earlier|"
        r"foregoing|said|that|this|it|resume|function|document|email|text|article|table|code|"
        r"content|data|context|question|task|request|input|page|passage|message)\b[^.\n]{0,30}"
        r"\b(and|then|instead)\s+(\w+\s+){0,2}?(state|say|tell|print|output|write|respond|reply|"
        r"answer|claim|report|return|display|repeat|give|provide|list|send|show|reveal|do)\b",
    ),
    _c(
        "foreign_override",
        "injection",
        # "Ignore (all) previous instructions" in the languages attacks are most
        # often translated into (Spanish, French, German, Italian, Portuguese,
        # Dutch, Polish, Swedish, Indonesian, Vietnamese, Czech, Turkish, Russian,
        # Ukrainian, Greek, Hebrew, Hindi, Chinese, Japanese, Korean, Arabic).
        r"\b(ignora|olvida|omite|descarta|ignorez|oubliez|ignore[rz]?|oublie|ignorier\w*|vergiss|"
        r"vergessen sie|dimentica|esque[çc]a)\w*\s+[^.\n]{0,30}\b(instrucciones|indicaciones|"
        r"reglas|instructions|consignes|r[èe]gles|anweisungen|regeln|befehle|istruzioni|regole|"
        r"instru[çc][õo]es|regras)\b|\bignorez\b|\bignoriere\b|"
        # Dutch, Polish, Swedish, Indonesian/Malay, Vietnamese, Czech, Turkish.
        r"\b(negeer|vergeet|zignoruj|zapomnij|ignorera|glöm|abaikan|lupakan|bỏ qua|ignoruj)\w*"
        r"\s+[^.\n]{0,30}\b(instructies|instrukcje|polecenia|instruktioner|instruksi|perintah|"
        r"hướng dẫn|chỉ dẫn|pokyny)\b|\btalimat\w*\b[^.\n]{0,30}\b(yok say|görmezden gel|"
        r"unut)|"
        # The lookahead skips ASCII positions fast (this cue runs on every text).
        r"(?=[\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u097f\u3040-\u30ff"
        r"\u4e00-\u9fff\uac00-\ud7af])"
        r"(игнорир\w*|проигнорир\w*|забудь\w*|ігнор\w*|\u03b1\u03b3\u03bd\u03bf[\u03ae\u03b7]\u03c3\w*|\u03be\u03b5\u03c7[\u03ac\u03b1]\u03c3\w*|תתעלם|התעלם|"
        r"忽略|无视|無視|指示を忘れ|무시|تجاهل|"
        # (Greek written as escapes: its letters look like Latin ones.) Hindi
        # puts the object first: "(previous) instructions ... ignore".
        r"निर्देश[^।\n]{0,30}(अनदेखा|अनदेखी|नज़रअंदाज़?|नजरअंदाज|भूल जा))",
    ),
    _c(
        "authority_claim",
        "injection",
        # Claims to own or control the model ("I am your developer", "as your
        # creator", "I am God"), orders to obey the speaker, override and mode
        # switches announced by the speaker or as a tag ("<SYSTEM MODE>"), and a
        # "system check" pretext. "I'm the owner of a shop" claims nothing, and
        # workplace roles ("as your supervisor") are left out: emails say so.
        r"\b(i am|i'm|this is)\s+(actually\s+|really\s+|now\s+)?(your\s+(developer|"
        r"administrator|admin|creator|owner|operator|programmer|master|maker)|the\s+(developer|"
        r"administrator|admin|creator|programmer|operator)s?\s+of\s+(you|this (ai|model|"
        r"assistant|bot|system|chatbot))|god)\b|\bas your (creator|developer|programmer|maker)\b|"
        r"\byou (must|have to|need to|will) (listen to|obey|follow) (me|my)\b|\b(security|"
        r"admin|administrator|developer|system|emergency|debug|training data|law enforcement)\s+"
        r"override\b|\boverride (mode|code|protocol)\b|\bnow entering\b|"
        r"<\s*[/\\]?\s*(system|god|admin|developer|debug|root|sudo|dev)[ _-]?mode\s*>|"
        r"\b(i am|i'm|we are|we're)\s+(now\s+)?(entering|activating|enabling|switching (you )?"
        r"(in)?to)\b[^.\n]{0,40}\bmode\b|\b(running|performing|conducting) an? (system|"
        r"security|diagnostic|maintenance) (check|test|diagnostic|audit)\b",
    ),
    _c(
        "secret_ask",
        "injection",
        r"\b(what('s| is| was)|tell me|give me|share|reveal|confirm|provide|send|spell|type|write|"
        r"print|show|say|repeat|disclose)\b[^.\n?]{0,40}\b(your|the)\s+(secret\s+)?(password|"
        r"passcode|passphrase|secret (key|word|code)|api key|access code|pin code)\b",
    ),
    _c(
        "steer_counterfactual",
        "injection",
        r"\b(let's|let us|we (might|could|should|will|can))\s+(say|state|pretend|assume|claim|"
        r"admit)\b|\bconsider the (output|answer|result) (as|to be)\b|\b(state|say|print|claim|"
        r"report) (that|the following)\b",
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
        r"\b(no|without|free (of|from)|not bound by|unbound by|beyond|ignores?|bypass(es)?|"
        r"break(s)? (free of|through)|doesn'?t (have|follow|care about|abide by)|"
        r"don'?t (have|follow)|not (have|follow)|regardless of|disregards?|disregarding)"
        r"\b[^.\n]{0,30}\b(" + _LIMITS + r"|legality|laws?|consequences|concerns)\b",
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
        r"limitless|lawless|no-?limits?|uninhibited|boundless|ruthless|unaligned|"
        r"irresponsible|inappropriate)\b|\bdo(es)?( not|n'?t) give a (f\w*|damn|shit)\b",
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
        r"\b(two|2|both) (different |separate )?(responses|answers|paragraphs|outputs|"
        r"characters|entities|personas|personalities|ai models)\b|\bopposite (personality|"
        r"response|answer|of (what|how))\b|^\s*\W{0,3}(aligned|unaligned|classic|jailbroken|"
        r"filtered|unfiltered)\W{0,3}\s*:|"
        r"\[?(🔒|🔓|classic|jailbreak|normal|developer mode) ?(output|response)?\]|🔓|😈|"
        r"output\s+\W?(un)?aligned\b",
    ),
    _c(
        "profanity",
        "jailbreak",
        r"\b(swear\w*|curse words|cursing|profan\w*|bad words?|cuss\w*|vulgar\w*|offensive "
        r"language)\b",
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
        r"\b(hypothetical(ly)?|fictional|imaginary|alternate|alternative|parallel)\s+(story|world|"
        r"scenario|universe|setting|reality|dialogue|response|answer|language model|ai)\b",
    ),
    _c(
        "placeholder",
        "jailbreak",
        r"\[(insert|your|put)\s[^\]]{0,30}(prompt|question|request|query)[^\]]{0,20}\]|"
        r"\{\{?\s*(prompt|question|query|request|input)\s*\}\}?",
    ),
    _c(
        "template_note",
        "jailbreak",
        # A note to the person reusing a shared template: put your own task in
        # and delete the note ("change the words X with your task and delete this").
        r"\b(replace|change|substitute|swap)\b[^.\n]{0,60}\b(with|by|for)\s+(your|whatever you|"
        r"the)\s+(own\s+)?(task|prompt|question|request|query|want)\b|\bdelete this (comment|"
        r"note|line|sentence|text|part)\b",
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
        "format_control",
        "jailbreak",
        r"\b(for|in|with|before|after|to) (each|every) (one of your |of your )?(response|reply|"
        r"answer|prompt|message|output|question)s?\b",
    ),
    _c(
        "not_allowed",
        "jailbreak",
        r"\b(not allowed|forbidden|prohibited|never allowed|not permitted) to (say|mention|refuse|"
        r"decline|break|admit|remind|tell|warn)\b",
    ),
    _c(
        "detail_demand",
        "jailbreak",
        r"\b(extremely|highly|incredibly|excessively|insanely) detailed\b|\bexact and precise\b|"
        r"\bavoid (generali[sz]ations|vagueness)\b",
    ),
    _c(
        "howto",
        "misuse",
        r"\b(how (to|do|can|could|would|should) (i|you|we|one|someone|people)?|ways? to|best way|"
        r"steps? (to|for)|step.by.step|instructions (for|on|to)|guide (to|on|for)|tutorial|"
        r"most (effective|efficient|reliable)|easiest way|quickest way|effective (methods?|ways?|"
        r"techniques?|tactics|strategies)|detailed (guide|instructions|plan|steps|manual)|"
        r"(write|create|give me|outline|develop|draft) (a|an|me a) (guide|tutorial|manual|plan|"
        r"script|playbook|recipe))\b",
    ),
    _c(
        "covert",
        "misuse",
        r"\b(without (getting caught|being (caught|detected|noticed|traced)|anyone (knowing|noticing)|"  # noqa: E501
        r"leaving (a )?trace)|undetect\w*|untraceable|get away with|evade|avoid (detection|getting "
        r"caught|the police)|secretly|covertly|discreetly|without (them|him|her|anyone|my \w+) "
        r"(knowing|noticing|finding out)|anonymously|cover (my|our|your) tracks|destroy\w* (the )?"
        r"evidence|no one (will|would) (know|find out))\b",
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
        r"guard against|warning signs|signs (of|that)|stay safe|keep \w+ safe|(talk|speak) (to|"
        r"with) my (\w+ ){0,3}(kids|children|son|daughter|teen|teenager)s? about|support (a|my) "
        r"\w+|reduce (\w+ ){0,2}(losses|risk|risks|theft)|(don'?t|do not|never|avoid) "
        r"accidentally|escap\w* (from )?(\w+ ){0,2}(kidnappers?|attackers?|abductors?|abusers?|"
        r"captors?|muggers?|stalkers?))\b",
    ),
    _c(
        "produce",
        "misuse",
        r"\b(make|build|create|produce|synthesi[sz]e|manufacture|cook|obtain|acquire|buy|get|write|"
        r"develop|design|generate)\b",
    ),
    _c(
        "request",
        "misuse",
        # An imperative request for content or help at the start of a sentence:
        # the shape of "write a ...", "give me ...", "I need ..." (the structure of
        # asking for harm, as opposed to asking about it).
        r"(^|[.!?:]\s+)\s*(please\s+)?(write|create|generate|give|tell|list|explain|describe|"
        r"develop|design|provide|draft|suggest|teach|show|outline|compose|produce|make|build|"
        r"brainstorm|help me|i want|i need|i'?d like|can you|could you|would you)\b",
    ),
    _c("private_ask", "misuse", PRIVATE_ASK),
    _c(
        "method_ask",
        "misuse",
        # A question that asks for means, places or a decision to act ("what
        # are some techniques to ...", "where can I buy ...", "should I ..."):
        # asking *for* help, like a how-to, not *about* a topic.
        r"\b(what|which)( are| is|'s)?( some| the| a few| any| various| good| specific)?( \w+)?"
        r" (methods|techniques|tactics|strategies|tools|tips|tricks|ways|steps|places|spots|"
        r"ingredients|materials|chemicals|items|websites|sites|software|apps?|products|drugs|"
        r"weapons|poisons?|substances|household \w+)\b|\b(where|who) (can|could|should|do|would) "
        r"(i|we|one|you) (\w+ ){0,2}(buy|get|obtain|download|sell|contact|hire|hide|place|"
        r"put)\b|\b(where is|what is|what's) (a |the )?(best|easiest|safest) (place|spot|way|"
        r"method|time)\b|\bshould (i|we)\b|\b(best|easiest|quickest|fastest|cheapest|safest) "
        r"(way|method|place|spot|technique)s?\b|\bis it (a )?good idea to\b",
    ),
    _c(
        "endorse",
        "misuse",
        # Asking for content that speaks *for* a harm (promotes, glorifies,
        # justifies it) or argues a position ("why should ...", "reasons why
        # ..."): with a harmful topic or a protected group, a request for
        # advocacy rather than a question about the topic.
        r"\b(promot(e|es|ed|ing)|glorif\w*|incit\w*|encourag\w*|advocat\w*|justif\w*|"
        r"condon\w*|normali[sz]\w*|romantici[sz]\w*|endors\w*|reasons? why|"
        r"why (should|shouldn'?t|is it (best|good|right|better)|would it be (best|good|better)|"
        r"(was|were|is|are) \w+( \w+){0,4} (right|justified|a good thing)))\b",
    ),
    _c(
        "question",
        "misuse",
        # A question about something (knowledge, opinion, history), as opposed to
        # a request for instructions.
        r"(^|[.!?]\s+)\s*(what|what's|why|who|when|"
        r"where (is|are|was|were|do|does|did)|which|is|are|was|were|does|did|has|have|how (many|"
        r"much|long|often|old|come|did|does|is|are|was|were))\b",
    ),
    _c(
        "obedience",
        "jailbreak",
        r"\b(you (must|will) (always|never|obey|comply)|obey (me|my|every|all)|"
        r"answer (any|every|all) (question|request|prompt)s?)\b",
    ),
)

_DOC_MARKERS = caseless(
    r"\b(subject|from|to|date|sent|cc|received date|email_from|content)\s*:|"
    r"^\s*(dear|hi|hello)\b|\b(best|kind|warm) regards\b|\bsincerely\b|^\s*\|.*\|.*\|\s*$|"
    r"^\s*```|^\s*(def|class|import|from \S+ import|function|public|#include|return)\b|^\s*>",
    re.MULTILINE,
)


def looks_like_data(text: str) -> bool:
    """Whether ``text`` reads as a document, email, table or code rather than a request.

    An instruction to the assistant inside such text is the signature of an
    indirect injection (see :func:`detectors._learned_heuristics.injection_heuristic`).
    """
    if len(text) < 300:
        return False
    return sum(1 for _ in _DOC_MARKERS.finditer(text, lowered(text))) >= 2


def cue_counts(text: str) -> dict[str, int]:
    """How often each structural cue occurs in ``text`` (only cues that occur)."""
    out: dict[str, int] = {}
    low = lowered(text)
    for cue in CUES:
        n = sum(1 for _ in cue.pattern.finditer(text, low))
        if n:
            out[cue.name] = n
    return out


def cue_matches(text: str) -> list[tuple[int, str]]:
    """``(start, cue name)`` of every cue match in ``text``, sorted by position."""
    low = lowered(text)
    out = [(m.start(), cue.name) for cue in CUES for m in cue.pattern.finditer(text, low)]
    out.sort()
    return out
