"""Each persistent component declares its custom id once; the declarations are typed, unique and exact."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import re
import sys
from typing import Any

import discord
import pytest

import bot
import cogs
from bot.ui import CustomId, Persistent


def _persistent_classes() -> list[type[Persistent[Any]]]:
    for package in (bot, cogs):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(info.name)
    found: list[type[Persistent[Any]]] = []
    todo: list[type[Any]] = [Persistent]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            # Current definitions only: an extension unloaded and loaded again leaves its old classes.
            module = sys.modules.get(sub.__module__)
            declared = "ids" in vars(sub)  # a shared base such as PersistentButton declares no id
            if (
                declared
                and sub.__module__.startswith(("bot.", "cogs."))
                and getattr(module, sub.__name__, None) is sub
            ):
                found.append(sub)
    return found


SAMPLES: dict[str, str] = {"int": "42", "ints": "3.1", "hex16": "0123456789abcdef"}


def _sample(ids: CustomId) -> str:
    return re.sub(r"\{[a-z_]+:([a-z0-9_|]+)\}", lambda m: SAMPLES.get(m[1], m[1].split("|")[-1]), ids.spec)


def test_format_and_parse_round_trip_with_types() -> None:
    ids = CustomId("bookclub:poll:{poll_id:int}:cast:{picks:ints}:{action:read|watched}")
    text = ids.format(poll_id=3, picks=[2, 1], action="watched")
    assert text == "bookclub:poll:3:cast:2.1:watched"
    match = ids.template.fullmatch(text)
    assert match is not None
    assert ids.parse(match) == {"poll_id": 3, "picks": [2, 1], "action": "watched"}


def test_format_refuses_missing_fields_and_values_the_template_would_not_match() -> None:
    ids = CustomId("bookclub:status:{work_id:int}:{action:read|watched}")
    with pytest.raises(TypeError):
        ids.format(work_id=1)
    with pytest.raises(ValueError):
        ids.format(work_id=1, action="burned")
    with pytest.raises(ValueError):
        ids.format(work_id=-1, action="read")
    assert ids.template.fullmatch("bookclub:status:1:read:extra") is None


def test_there_are_sixteen_and_every_custom_id_is_namespaced_and_claimed_by_one_class() -> None:
    classes = _persistent_classes()
    assert len(classes) >= 16, [c.__name__ for c in classes]
    for cls in classes:
        sample = _sample(cls.ids)
        assert sample.startswith("bookclub:"), cls
        assert len(sample) <= 100
        claimed = [o.__name__ for o in classes if o.ids.template.fullmatch(sample)]
        assert claimed == [cls.__name__], (sample, claimed)


def test_a_clicked_component_is_rebuilt_from_its_id_with_typed_fields() -> None:
    for cls in _persistent_classes():
        sample = _sample(cls.ids)
        match = cls.ids.template.fullmatch(sample)
        assert match is not None
        item = asyncio.run(cls.from_custom_id(None, None, match))  # type: ignore[arg-type]
        assert isinstance(item, discord.ui.DynamicItem)
        assert item.custom_id == sample, cls  # what it would post is what was clicked
