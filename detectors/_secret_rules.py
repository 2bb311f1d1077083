"""The secret rule table: provider credential formats and their confidence.

Formats follow the providers' published token layouts (most carry a fixed,
documented prefix such as ``ghp_``, ``xoxb-``, ``sk_live_``), as catalogued
by gitleaks' rule set. Each rule's optional ``secret`` group names the part
that must not look like a placeholder (see :func:`looks_placeholder`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

__all__ = ["RULES", "Rule", "entropy", "looks_placeholder"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A credential format: finding kind ``secret.<name>``, regex, score."""

    name: str
    regex: re.Pattern[str]
    score: float = 0.95
    #: Lower-case literals one of which any match contains: the regex only
    #: runs when the text holds one (a substring search is ~50x cheaper).
    keywords: tuple[str, ...] = ()


# Keyword prefilter per rule, as gitleaks does; a rule without keywords always runs.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "anthropic_key": ("sk-ant-",),
    "atlassian_token": ("atatt3",),
    "auth_header": ("authorization", "api-key", "apikey", "auth-token", "token"),
    "aws_access_key": ("a3t", "akia", "asia", "abia", "acca"),
    "aws_bedrock_key": ("absk",),
    "aws_secret_key": ("aws",),
    "azure_client_secret": ("q~",),
    "azure_storage_key": ("accountkey",),
    "bundler_credentials": ("bundle_",),
    "cli_credentials": ("-u", "--user"),
    "databricks_token": ("dapi",),
    "digitalocean_token": ("do_v1_", "dop_v1_", "dor_v1_", "doo_v1_"),
    "discord_webhook": ("webhooks",),
    "facebook_app_token": ("|", "%7c"),
    "facebook_token": ("eaam", "eaac"),
    "flyio_token": ("fo1_", "fm1", "fm2"),
    "gcp_api_key": ("aiza",),
    "gcp_service_account": ("service_account",),
    "github_fine_grained_pat": ("github_pat_",),
    "github_token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "gitlab_runner_token": ("gr1348941",),
    "gitlab_token": ("glpat-", "glptt-", "gldt-", "glrt-", "glcbt-", "glsoat-", "glffct-"),
    "google_oauth_token": ("ya29.",),
    "grafana_token": ("glc_", "glsa_"),
    "groq_key": ("gsk_",),
    "hashicorp_tf_token": ("atlasv1",),
    "heroku_api_key": ("hrku-",),
    "huggingface_token": ("hf_", "api_org_"),
    "infracost_token": ("ico-",),
    "intra42_secret": ("s-s4t2",),
    "jwt": ("eyj",),
    "mailchimp_key": ("-us",),
    "notion_token": ("ntn_",),
    "npm_token": ("npm_",),
    "octopus_deploy_key": ("api-",),
    "okta_token": ("okta",),
    "onepassword_secret_key": ("a3-",),
    "onepassword_token": ("ops_",),
    "openai_key": ("sk-",),
    "openshift_token": ("sha256~",),
    "perplexity_key": ("pplx-",),
    "private_key": ("private key",),
    "pypi_token": ("pypi-",),
    "scalingo_token": ("tk-us-",),
    "sendgrid_key": ("sg.",),
    "sentry_token": ("sntrys_", "sntryu_"),
    "shopify_token": ("shpat_", "shpca_", "shppa_", "shpss_"),
    "slack_app_token": ("xapp-",),
    "slack_config_token": ("xoxe",),
    "slack_token": ("xox",),
    "slack_webhook": ("hooks.slack.com",),
    "snyk_token": ("snyk",),
    "sourcegraph_token": ("sgp_", "sourcegraph"),
    "square_token": ("sq0atp-", "sq0csp-", "eaaa"),
    "stripe_key": ("sk_", "rk_"),
    "stripe_webhook_secret": ("whsec_",),
    "telegram_bot_token": (":aa",),
    "twilio_key": ("sk",),
    "url_credentials": ("://",),
    "vault_token": ("hvs.", "hvb."),
}


def _r(name: str, pattern: str, score: float = 0.95, flags: int = 0) -> Rule:
    return Rule(name, re.compile(pattern, flags), score, _KEYWORDS.get(name, ()))


_B = r"(?<![A-Za-z0-9_.-])"  # token start: not inside a longer identifier or file name
_E = r"(?![A-Za-z0-9_])"  # token end

RULES: tuple[Rule, ...] = (
    # Cloud
    _r("aws_access_key", _B + r"(?P<secret>(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})" + _E),
    _r(
        "aws_secret_key",
        r"(?i)aws.{0,20}secret.{0,20}?[=:]\s*[\"']?(?P<secret>[A-Za-z0-9/+=]{40})"
        + r"(?![A-Za-z0-9/+=])",
    ),
    _r("aws_bedrock_key", _B + r"(?P<secret>ABSK[A-Za-z0-9+/]{109,269}={0,2})"),
    _r("gcp_api_key", _B + r"(?P<secret>AIza[0-9A-Za-z_-]{35})" + _E, 0.9),
    _r("gcp_service_account", r"\"type\"\s*:\s*\"service_account\"", 0.7),
    _r(
        "azure_client_secret",
        _B + r"(?P<secret>[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})" + r"(?![A-Za-z0-9_~.-])",
    ),
    _r("azure_storage_key", r"(?i)AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)"),
    _r("digitalocean_token", _B + r"(?P<secret>do[opr]_v1_[a-f0-9]{64})" + _E),
    _r("heroku_api_key", _B + r"(?P<secret>HRKU-AA[0-9A-Za-z_-]{58})"),
    _r("flyio_token", _B + r"(?P<secret>(?:fo1_[\w-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3}))"),
    _r("databricks_token", _B + r"(?P<secret>dapi[a-f0-9]{32}(?:-\d)?)" + _E),
    _r("hashicorp_tf_token", r"(?i)(?P<secret>[a-z0-9]{14}\.atlasv1\.[a-z0-9_=-]{60,70})"),
    _r("vault_token", _B + r"(?P<secret>(?:hvs\.[\w-]{90,120}|hvb\.[\w-]{138,300}))"),
    # Version control and CI
    _r("github_token", _B + r"(?P<secret>(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})" + _E),
    _r("github_fine_grained_pat", _B + r"(?P<secret>github_pat_[A-Za-z0-9_]{82})" + _E),
    _r(
        "gitlab_token",
        _B + r"(?P<secret>(?:glpat|glptt|gldt|glrt|glcbt|glsoat|glffct)-" + r"[A-Za-z0-9_.-]{20,})",
    ),
    _r("gitlab_runner_token", _B + r"(?P<secret>GR1348941[A-Za-z0-9_-]{20})" + _E),
    _r("npm_token", _B + r"(?P<secret>npm_[A-Za-z0-9]{36})" + _E),
    _r("pypi_token", _B + r"(?P<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})"),
    _r(
        "sourcegraph_token",
        _B + r"(?P<secret>sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40})" + _E,
    ),
    _r(
        "sourcegraph_token",
        r"(?i)sourcegraph[\w.-]{0,20}[\"']?\s*[:=]+\s*[\"']?" + r"(?P<secret>[a-fA-F0-9]{40})" + _E,
        0.8,
    ),
    _r(
        "snyk_token",
        r"(?i)snyk[\w.-]{0,20}[\"']?\s*[:=]+\s*[\"']?(?P<secret>[a-f0-9]{8}-"
        + r"[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})",
    ),
    # Chat, payments, SaaS
    _r(
        "slack_token",
        _B
        + r"(?P<secret>(?=[\w-]{30})xox[a-z]-(?:\d+-){1,4}[A-Za-z0-9]{6,}"
        + r"(?:-[A-Za-z0-9]+)*)",
    ),
    _r("slack_config_token", _B + r"(?P<secret>xoxe(?:\.xox[bp])?-\d-[A-Za-z0-9]{40,})"),
    _r("slack_app_token", _B + r"(?i:(?P<secret>xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+))"),
    _r(
        "slack_webhook",
        r"(?P<secret>hooks\.slack\.com/(?:services|workflows|triggers)/" + r"[A-Za-z0-9+/_-]{20,})",
    ),
    _r("discord_webhook", r"(?P<secret>discord(?:app)?\.com/api/webhooks/\d+/[\w-]{60,})"),
    _r("telegram_bot_token", _B + r"(?P<secret>\d{8,10}:AA[A-Za-z0-9_-]{33})" + _E),
    _r("stripe_key", _B + r"(?P<secret>(?:sk|rk)_(?:test|live|prod)_[A-Za-z0-9]{10,99})" + _E),
    _r("stripe_webhook_secret", _B + r"(?P<secret>whsec_[A-Za-z0-9]{32,})" + _E),
    _r("square_token", _B + r"(?P<secret>(?:sq0atp-[\w-]{22}|sq0csp-[\w-]{43}|EAAA[\w-]{60}))"),
    _r("sendgrid_key", _B + r"(?P<secret>SG\.[\w-]{22}\.[\w-]{43})" + _E),
    _r("twilio_key", _B + r"(?P<secret>SK[0-9a-fA-F]{32})" + _E, 0.7),
    _r("mailchimp_key", _B + r"(?P<secret>[a-f0-9]{32}-us\d{1,2})" + _E),
    _r("shopify_token", _B + r"(?P<secret>shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})" + _E),
    _r("facebook_token", _B + r"(?P<secret>EAA[MC][A-Za-z0-9]{100,})" + _E),
    _r("facebook_app_token", _B + r"(?P<secret>\d{15,16}(?:\||%7C)[\w-]{27,40})" + _E),
    _r("notion_token", _B + r"(?P<secret>ntn_\d{11}[A-Za-z0-9]{35})" + _E),
    _r(
        "okta_token",
        r"(?i)(?<![a-z])okta[\w.-]{0,20}[\"']?\s*[:=]+\s*[\"']?(?P<secret>00[\w=-]{40})",
    ),
    _r(
        "grafana_token",
        _B
        + r"(?P<secret>(?:glc_[A-Za-z0-9+/]{32,400}={0,2}|"
        + r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}))",
    ),
    _r("sentry_token", _B + r"(?P<secret>sntry[su]_[A-Za-z0-9+/=_]{40,})"),
    _r("onepassword_token", _B + r"(?P<secret>ops_eyJ[A-Za-z0-9+/]{250,}={0,3})"),
    _r(
        "onepassword_secret_key",
        _B
        + r"(?P<secret>A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|"
        + r"[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5})"
        + _E,
    ),
    _r("atlassian_token", _B + r"(?P<secret>ATATT3[A-Za-z0-9_=-]{186})"),
    _r("infracost_token", _B + r"(?P<secret>ico-[A-Za-z0-9]{32})" + _E),
    _r("intra42_secret", _B + r"(?P<secret>s-s4t2(?:ud|af)-[a-f0-9]{64})" + _E),
    _r("octopus_deploy_key", _B + r"(?P<secret>API-[A-Z0-9]{26})" + _E, 0.8),
    _r("openshift_token", _B + r"(?P<secret>sha256~[\w-]{43})" + r"(?![\w-])"),
    _r("scalingo_token", _B + r"(?P<secret>tk-us-[\w-]{48})"),
    _r("huggingface_token", _B + r"(?P<secret>(?:hf_|api_org_)[A-Za-z]{34})" + _E),
    # LLM providers
    _r(
        "openai_key",
        _B
        + r"(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ"
        + r"[A-Za-z0-9_-]{20,})",
    ),
    _r("openai_key", _B + r"(?P<secret>sk-(?:proj-|svcacct-|admin-)[A-Za-z0-9_-]{40,})", 0.9),
    _r("anthropic_key", _B + r"(?P<secret>sk-ant-(?:api|admin)\d{2}-[\w-]{93}AA)" + _E),
    _r("groq_key", _B + r"(?P<secret>gsk_[A-Za-z0-9]{52})" + _E),
    _r("perplexity_key", _B + r"(?P<secret>pplx-[A-Za-z0-9]{48})" + _E),
    _r("google_oauth_token", _B + r"(?P<secret>ya29\.[\w-]{30,})"),
    # Keys, tokens and URLs with credentials
    _r(
        "private_key",
        r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----\s*"
        + r"(?P<secret>[A-Za-z0-9+/=\s:,-]{64,}?)(?:-----END[ A-Z0-9_-]{0,100}PRIVATE KEY"
        + r"(?: BLOCK)?-----|$)",
    ),
    _r(
        "jwt",
        _B + r"(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*)",
        0.85,
    ),
    _r(
        "url_credentials",
        r"(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s:/@\"'<>]{1,64}:"
        + r"(?P<secret>[^\s/@\"'<>]{3,128})@[\w.-]+",
        0.85,
    ),
    _r(
        "auth_header",
        r"(?i)\b(?:authorization|proxy-authorization|x-api-key|api-key|apikey|"
        + r"x-auth-token|x-token|token)[\"']?\s*:\s*(?:(?:bearer|basic|token|apikey)\s+)?"
        + r"(?P<secret>[A-Za-z0-9+/=._~-]{8,})",
        0.85,
    ),
    _r(
        "cli_credentials",
        r"(?:^|\s)(?:-u|--user)(?:\s+|=)(?P<secret>\"[^\"\n]{2,128}\""
        + r"(?::\"[^\"\n]{1,128}\")?|'[^'\n]{2,128}'|[^\s\"']+:(?:'[^'\n]+'|\"[^\"\n]+\"|\S+))",
        0.8,
    ),
    _r(
        "bundler_credentials",
        r"\bBUNDLE_[A-Z0-9_]+[\"']?\s*[:=]\s*[\"']?[^\s\"':]{3,}:" + r"(?P<secret>[^\s\"']{3,})",
        0.8,
    ),
)

_PLACEHOLDER_WORDS = re.compile(
    r"(?i)example|sample|dummy|placeholder|redacted|changeme|your[_-]?|here|xxxx|\*\*\*|"
    r"<|>|\$\{|\$\(|\{\{|%\(|^\$|\[|\]|^#+$|fake_|test_?key|\.\.+$|\u2026"
)
_COMMON_VALUES = frozenset(
    [
        "password",
        "passwd",
        "pass",
        "secret",
        "token",
        "test",
        "testing",
        "admin",
        "user",
        "username",
        "root",
        "changeme",
        "default",
        "none",
        "null",
        "undefined",
        "true",
        "false",
        "string",
        "value",
        "key",
        "apikey",
        "api_key",
        "your_key",
        "initial",
        "pwd",
        "login",
    ]
)


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


def looks_placeholder(value: str) -> bool:
    """True for documentation stand-ins: ``xxxx``, ``<token>``, ``${VAR}``, ``AAAAAAAA``..."""
    v = value.strip("\"'`,;")
    if v.lower() in _COMMON_VALUES or _PLACEHOLDER_WORDS.search(v):
        return True
    if re.search(r"(.)\1{5,}", v):  # a long run of one character
        return True
    # Mostly one character class repeated ("1234567890123", "abcdefghij")
    core = re.sub(r"[^A-Za-z0-9]", "", v)
    return len(core) >= 8 and len(set(core)) <= 4
