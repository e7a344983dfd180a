"""bookclub-bot: a Discord bot that runs a book (and film) club."""

__version__ = "0.1.0"
