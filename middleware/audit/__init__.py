"""The tamper-evident audit log: one chained JSON event per request and per policy reload.

* :class:`AuditAddon` -- records every request (put it last in the addon list).
* :func:`record_reload` -- records a policy reload on the active trail.
* :func:`verify_files` / :func:`summarize_files` -- what ``tollgate audit
  verify|summary`` run.

See ``_settings`` for the ``audit`` configuration section and ``_chain`` for
the HMAC chain.
"""

from __future__ import annotations

from middleware.audit._addon import AuditAddon
from middleware.audit._chain import GENESIS, ChainState, HmacChain, canonical, compute_mac
from middleware.audit._settings import (
    AuditConfigError,
    AuditSettings,
    FileSinkSettings,
    StdoutSinkSettings,
    parse_audit_settings,
    resolve_key,
)
from middleware.audit._sinks import FileSink, Sink, StdoutSink, build_sink
from middleware.audit._summary import Summary, summarize_files
from middleware.audit._trail import AuditTrail, active_trail, record_reload
from middleware.audit._verify import Problem, VerifyReport, verify_files

__all__ = [
    "GENESIS",
    "AuditAddon",
    "AuditConfigError",
    "AuditSettings",
    "AuditTrail",
    "ChainState",
    "FileSink",
    "FileSinkSettings",
    "HmacChain",
    "Problem",
    "Sink",
    "StdoutSink",
    "StdoutSinkSettings",
    "Summary",
    "VerifyReport",
    "active_trail",
    "build_sink",
    "canonical",
    "compute_mac",
    "parse_audit_settings",
    "record_reload",
    "resolve_key",
    "summarize_files",
    "verify_files",
]
