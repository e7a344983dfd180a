"""A local OpenAI-compatible chat-completions server for tests: scripted answers, delays and failures.

Tests point the real `openai.AsyncOpenAI` client at `server.base_url`; every request is recorded.

```python
async with FakeLLM() as llm:
    llm.answer("**Main points**\\n- they liked it [1]")  # next call gets this content
    llm.fail(429, headers={"retry-after-ms": "10"})    # next call gets a 429 (the client retries)
    llm.delay(0.5)                                     # next call waits half a second first
    client = AsyncOpenAI(api_key="test", base_url=llm.base_url)
    ...
    assert llm.requests[0].model == "gpt-test"
```

Without a script the server answers with `default_answer(request)`: a short summary that cites the
first and last message references it was given, so a pipeline gets well-formed text of bounded size.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["FakeLLM", "LLMRequest", "Step", "default_answer"]

_REF = re.compile(r"^\[(\d+)\]", re.MULTILINE)  # a message line
_CITE = re.compile(r"\[(\d+)\]")  # a citation in an earlier summary


@dataclass
class LLMRequest:
    """One chat-completions request as the server received it."""

    model: str
    messages: list[dict[str, Any]]
    body: dict[str, Any]
    headers: dict[str, str]
    answered: int  # the HTTP status the server answered with

    @property
    def text(self) -> str:
        """Return every message's content joined, for `in` checks."""
        return "\n".join(str(m.get("content") or "") for m in self.messages)

    @property
    def user_text(self) -> str:
        """Return the user messages' content joined."""
        return "\n".join(str(m.get("content") or "") for m in self.messages if m.get("role") == "user")


@dataclass
class Step:
    """What the server does for one request; fields left unset fall back to the defaults."""

    content: str | None = None  # the answer's message content (None: default_answer)
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a timeout if longer than the client's)
    raw: str | None = None  # a raw body instead of a well-formed completion (malformed JSON, say)
    null_content: bool = False  # answer with "content": null
    no_choices: bool = False  # answer with "choices": []


def default_answer(request: LLMRequest) -> str:
    """Summarise by citing the first and last message numbers (or citations) in the request."""
    refs = _REF.findall(request.user_text) or _CITE.findall(request.user_text)
    cites = f" [{refs[0]}] [{refs[-1]}]" if refs else ""
    return (
        f"**Main points**\n- The members discussed the reading{cites}.\n"
        f"**Open questions**\n- Whether the ending works{cites}."
    )


class FakeLLM:
    """An aiohttp server on 127.0.0.1 that answers `POST /v1/chat/completions` from a script."""

    def __init__(self, *, answer: Callable[[LLMRequest], str] = default_answer) -> None:
        self.requests: list[LLMRequest] = []
        self.default = answer
        self.script: deque[Step] = deque()
        self.base_delay = 0.0  # added to every request (a slow model)
        self.usage = True  # report token usage as OpenAI does
        self.in_flight = 0
        self.max_in_flight = 0  # the most requests being answered at once
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)
        self.port = 0

    @property
    def base_url(self) -> str:
        """Return the URL to pass as the client's `base_url`."""
        return f"http://127.0.0.1:{self.port}/v1"

    async def __aenter__(self) -> FakeLLM:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- scripting --------------------------------------------------------------------------------------
    def answer(self, content: str, *, delay: float = 0.0) -> None:
        """Answer the next unscripted request with `content`."""
        self.script.append(Step(content=content, delay=delay))

    def fail(self, status: int, *, times: int = 1, headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests with an HTTP error."""
        for _ in range(times):
            self.script.append(Step(status=status, headers=dict(headers or {})))

    def delay(self, seconds: float, *, times: int = 1) -> None:
        """Make the next `times` requests wait `seconds` before the default answer."""
        for _ in range(times):
            self.script.append(Step(delay=seconds))

    def then(self, step: Step) -> None:
        """Queue any step."""
        self.script.append(step)

    @property
    def calls(self) -> int:
        """Return how many requests were answered with a completion (status 200)."""
        return sum(1 for r in self.requests if r.answered == 200)

    # -- serving ----------------------------------------------------------------------------------------
    async def _complete(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.json_response(
                {"error": {"message": "body is not JSON", "type": "invalid_request"}}, status=400
            )
        step = self.script.popleft() if self.script else Step()
        record = LLMRequest(
            model=str(body.get("model")),
            messages=list(body.get("messages") or []),
            body=body,
            headers=dict(request.headers),
            answered=step.status,
        )
        self.requests.append(record)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.base_delay or step.delay:
                await asyncio.sleep(self.base_delay + step.delay)
        finally:
            self.in_flight -= 1
        if step.status != 200:
            error = {"error": {"message": f"scripted {step.status}", "type": "server_error", "code": None}}
            return web.json_response(error, status=step.status, headers=step.headers)
        if step.raw is not None:
            return web.Response(text=step.raw, content_type="application/json")
        content = (
            None
            if step.null_content
            else (step.content if step.content is not None else self.default(record))
        )
        prompt_tokens = sum(len(str(m.get("content") or "")) for m in record.messages) // 4
        completion_tokens = len(content or "") // 4
        payload: dict[str, Any] = {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": 1_790_000_000,
            "model": record.model,
            "choices": []
            if step.no_choices
            else [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
        if self.usage:
            payload["usage"] = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            }
        return web.json_response(payload, headers=step.headers)
