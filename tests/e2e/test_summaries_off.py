"""`/summarize` on a bot without an LLM configured: it explains how to enable it and calls nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from llmfake import FakeLLM

from fakediscord.world import ChannelType


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    """A model server the bot is not told about: it must receive nothing."""
    async with FakeLLM() as server:
        yield server


async def test_without_a_key_summarize_explains_and_the_model_is_never_called(club, harness, alice, llm):
    assert harness.bot is not None and harness.bot.llm is None
    assert not harness.bot.intents.message_content
    thread = await club.open_thread(club.default_channel, alice.id, "chat", ChannelType.PUBLIC_THREAD)
    await alice.say(thread, "what did everyone think?")
    reply = await alice.slash("summarize", in_channel=thread)
    assert reply.ephemeral
    assert "OPENAI_API_KEY" in reply.content and "Message Content Intent" in reply.content
    assert llm.requests == []
    assert [m for m in club.bot_messages(thread) if not m.ephemeral] == []
