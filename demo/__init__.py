"""`python -m bot demo`: the emulator, the real bot and a local web page showing the club as its members see it.

The demo lives beside `bot/` and `fakediscord/`, not inside either: it depends on both, the bot must never
import the emulator, and the emulator stays a test tool that knows nothing about this bot.
"""
