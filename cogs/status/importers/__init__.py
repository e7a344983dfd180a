"""Importing members' statuses from Goodreads, StoryGraph and Letterboxd exports.

`parse_upload` reads the bytes of an upload into `ImportRow`s (or raises `ImportFileError` with a
member-facing message); `match_import` pairs them with catalog works for the member to confirm.
"""

from cogs.status.importers.base import (
    MAX_IMPORT_AUTHOR,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    MAX_IMPORT_TITLE,
    ImportFileError,
    ImportFormat,
    ImportRow,
    ParsedImport,
    SkippedRow,
)
from cogs.status.importers.letterboxd import MAX_ZIP_UNCOMPRESSED_BYTES
from cogs.status.importers.matching import ImportPreview, match_import
from cogs.status.importers.upload import parse_upload, prepare_import

__all__ = [
    "MAX_IMPORT_AUTHOR",
    "MAX_IMPORT_BYTES",
    "MAX_IMPORT_ROWS",
    "MAX_IMPORT_TITLE",
    "MAX_ZIP_UNCOMPRESSED_BYTES",
    "ImportFileError",
    "ImportFormat",
    "ImportPreview",
    "ImportRow",
    "ParsedImport",
    "SkippedRow",
    "match_import",
    "parse_upload",
    "prepare_import",
]
