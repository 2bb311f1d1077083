"""Upstream forwarding over one pooled aiohttp client session.

The upstream is fixed by configuration (never chosen by the client). Time
limits: ``connect_timeout_s`` to open a connection, ``first_byte_timeout_s``
until the response headers arrive, ``idle_timeout_s`` between body chunks.
Failures become :class:`~middleware.errors.ApiError`: unreachable -> 502,
timed out -> 504, both in OpenAI's error JSON.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from multidict import CIMultiDict, CIMultiDictProxy

from middleware.config import UpstreamConfig
from middleware.errors import ApiError

__all__ = ["AiohttpUpstream", "AiohttpUpstreamResponse"]

#: A non-streamed upstream body larger than this is refused (memory bound).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


def _unreachable(exc: BaseException) -> ApiError:
    return ApiError(
        502,
        "The upstream API is unreachable.",
        type="upstream_error",
        code="upstream_unreachable",
        extra={"reason": type(exc).__name__},
    )


def _too_large() -> ApiError:
    return ApiError(
        502,
        "The upstream response is too large.",
        type="upstream_error",
        code="upstream_response_too_large",
    )


def _timeout(what: str) -> ApiError:
    return ApiError(
        504,
        f"The upstream API timed out ({what}).",
        type="upstream_error",
        code="upstream_timeout",
    )


class AiohttpUpstreamResponse:
    """An upstream response whose body is read on demand."""

    def __init__(self, resp: aiohttp.ClientResponse, idle_timeout: float) -> None:
        self._resp = resp
        self._idle = idle_timeout
        self.status = resp.status
        self.headers: CIMultiDictProxy[str] = resp.headers

    async def read(self) -> bytes:
        """The whole body, within ``idle_timeout_s``; 502 if over ``MAX_RESPONSE_BYTES``."""
        length = self._resp.content_length
        if length is not None and length > MAX_RESPONSE_BYTES:
            raise _too_large()
        try:
            # One deadline for the whole body: a per-chunk timer costs more than
            # the copy for the small JSON bodies this path carries.
            async with asyncio.timeout(self._idle):
                chunks: list[bytes] = []
                size = 0
                while chunk := await self._resp.content.readany():
                    size += len(chunk)
                    if size > MAX_RESPONSE_BYTES:
                        raise _too_large()
                    chunks.append(chunk)
        except TimeoutError:
            raise _timeout("reading the body") from None
        except (aiohttp.ClientError, ConnectionError) as exc:
            raise _unreachable(exc) from None
        return b"".join(chunks)

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """Chunks as they arrive; ``ApiError`` 504 when idle too long, 502 on a broken body."""
        content = self._resp.content
        while True:
            try:
                async with asyncio.timeout(self._idle):
                    chunk = await content.readany()
            except TimeoutError:
                raise _timeout("idle stream") from None
            except (aiohttp.ClientError, ConnectionError) as exc:
                raise _unreachable(exc) from None
            if not chunk:
                return
            yield chunk

    def close(self) -> None:
        """Release the connection to the pool, or drop it if the body was not drained."""
        if self._resp.content.at_eof():
            self._resp.release()
        else:
            self._resp.close()


class AiohttpUpstream:
    """Sends requests to the configured upstream over one pooled session.

    Create inside a running event loop; call :meth:`close` at shutdown.
    """

    def __init__(self, config: UpstreamConfig) -> None:
        self.config = config
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=config.max_connections, ttl_dns_cache=300, enable_cleanup_closed=True
            ),
            timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=config.connect_timeout_s, sock_read=None
            ),
            auto_decompress=True,
            skip_auto_headers=("User-Agent",),
        )

    async def send(
        self, method: str, path_qs: str, headers: CIMultiDict[str], body: bytes
    ) -> AiohttpUpstreamResponse:
        """Forward a request; return once the response headers arrived."""
        url = self.config.url + path_qs
        try:
            async with asyncio.timeout(self.config.first_byte_timeout_s):
                resp = await self._session.request(
                    method, url, headers=headers, data=body or None, allow_redirects=False
                )
        except aiohttp.ServerTimeoutError:
            # aiohttp's connect timeout is also a TimeoutError: check it first.
            raise _timeout("connect") from None
        except TimeoutError:
            raise _timeout("no response") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise _unreachable(exc) from None
        return AiohttpUpstreamResponse(resp, self.config.idle_timeout_s)

    async def close(self) -> None:
        """Close the pooled session."""
        await self._session.close()
