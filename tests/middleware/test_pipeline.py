"""The framework-free pipeline: addon hooks in lifecycle order, without a proxy socket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy

from middleware._context import ProxyRequest, RequestContext
from middleware.adapters import default_adapters
from middleware.addons import Addon
from middleware.errors import ApiError
from middleware.pipeline import Pipeline


class _FakeResponse:
    def __init__(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.status = status
        self.headers = CIMultiDictProxy(CIMultiDict({"content-type": ctype}))
        self._body = body
        self.closed = False

    async def read(self) -> bytes:
        return self._body

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        yield self._body

    def close(self) -> None:
        self.closed = True


class _FakeUpstream:
    def __init__(self, reply: dict[str, Any]) -> None:
        self.reply = reply
        self.sent: list[bytes] = []

    async def send(
        self, method: str, path_qs: str, headers: CIMultiDict[str], body: bytes
    ) -> _FakeResponse:
        self.sent.append(body)
        return _FakeResponse(200, json.dumps(self.reply).encode())


def _request(body: dict[str, Any]) -> ProxyRequest:
    return ProxyRequest(
        method="POST",
        path="/v1/chat/completions",
        query_string="",
        headers=CIMultiDictProxy(CIMultiDict({"content-type": "application/json"})),
        body=json.dumps(body).encode(),
    )


class _Recorder(Addon):
    name = "recorder"

    def __init__(self, log: list[str], *, refuse: bool = False) -> None:
        self.log = log
        self.refuse = refuse

    async def request(self, ctx: RequestContext) -> None:
        self.log.append(f"request:{self.name}")
        if self.refuse:
            raise ApiError(403, "no")

    async def response(self, ctx: RequestContext, body: Any) -> Any:
        self.log.append("response")
        return {**body, "screened": True}

    async def done(self, ctx: RequestContext) -> None:
        self.log.append(f"done:{ctx.status}")


BODY = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


async def test_hooks_run_in_order_and_done_once() -> None:
    log: list[str] = []
    pipe = Pipeline(
        adapters=default_adapters(),
        upstream=_FakeUpstream({"choices": []}),
        addons=[_Recorder(log)],
    )
    async with pipe.exchange(_request(BODY)) as resp:
        assert resp.status == 200
        assert json.loads(resp.body)["screened"] is True
    assert log == ["request:recorder", "response", "done:200"]


async def test_refusal_skips_upstream_and_later_hooks_but_runs_done() -> None:
    log: list[str] = []
    upstream = _FakeUpstream({})
    pipe = Pipeline(
        adapters=default_adapters(),
        upstream=upstream,
        addons=[_Recorder(log, refuse=True), _Recorder(log)],
    )
    async with pipe.exchange(_request(BODY)) as resp:
        assert resp.status == 403
        assert json.loads(resp.body)["error"]["message"] == "no"
    assert upstream.sent == []
    assert log == ["request:recorder", "done:403", "done:403"]


class _Rewriter(Addon):
    name = "rewriter"

    async def request(self, ctx: RequestContext) -> None:
        ctx.body = {**ctx.body, "messages": [{"role": "user", "content": "rewritten"}]}


async def test_replaced_body_is_forwarded_and_original_bytes_otherwise() -> None:
    upstream = _FakeUpstream({"choices": []})
    pipe = Pipeline(adapters=default_adapters(), upstream=upstream, addons=[_Rewriter()])
    async with pipe.exchange(_request(BODY)):
        pass
    assert json.loads(upstream.sent[0])["messages"][0]["content"] == "rewritten"

    plain = _FakeUpstream({"choices": []})
    request = _request(BODY)
    async with Pipeline(adapters=default_adapters(), upstream=plain).exchange(request):
        pass
    assert plain.sent == [request.body]
