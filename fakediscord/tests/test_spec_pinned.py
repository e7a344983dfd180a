"""The pinned spec copy: equal to its origin, used by default, and its absence fails the tests loudly."""

from __future__ import annotations

import lzma
from pathlib import Path

import pytest

from fakediscord import FakeDiscord
from fakediscord.pytest_plugin import require_validation
from fakediscord.spec import PINNED_DIR, SPEC_FILES, read_spec_json, spec_dir_or_reason

SHARED = Path(__file__).resolve().parents[3] / "shared" / "discord-spec"


@pytest.mark.parametrize("name", SPEC_FILES)
def test_pinned_copy_equals_the_shared_origin(name: str) -> None:
    if not (SHARED / name).is_file():
        pytest.skip(f"{SHARED} is not beside the repository: nothing to compare the pinned copy with")
    pinned = lzma.decompress((PINNED_DIR / f"{name}.xz").read_bytes())
    assert pinned == (SHARED / name).read_bytes(), (
        f"spec_data/{name}.xz is out of date; see spec_data/README.md"
    )


def test_spec_dir_points_at_another_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SPEC_FILES:
        (tmp_path / name).write_bytes(lzma.decompress((PINNED_DIR / f"{name}.xz").read_bytes()))
    monkeypatch.setenv("FAKEDISCORD_SPEC_DIR", str(tmp_path))
    assert spec_dir_or_reason() == (tmp_path.resolve(), "")
    assert read_spec_json(tmp_path, "openapi.json")["openapi"].startswith("3.1")


async def test_without_spec_files_the_club_fixture_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKEDISCORD_SPEC_DIR", str(tmp_path))  # a copy with the files removed
    async with FakeDiscord() as club:
        assert club.validator is None
        with pytest.raises(
            pytest.fail.Exception, match=r"spec validation is unavailable.*lacks openapi\.json"
        ):
            require_validation(club)
