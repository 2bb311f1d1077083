"""Operational logging through structlog: JSON lines by default.

Standard-library loggers (aiohttp's) are routed through the same processors
so every line has one shape. Nothing here ever receives a raw key, prompt or
output: callers log ids, routes and counts only.
"""

from __future__ import annotations

import logging
import sys

import structlog

from middleware.config import LoggingConfig

__all__ = ["configure_logging"]


def configure_logging(config: LoggingConfig) -> None:
    """Configure structlog and stdlib logging once per process."""
    level = getattr(logging, config.level.upper())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if config.format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's own access log duplicates our per-request line.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
