"""The test PostgreSQL server: without its binaries the PostgreSQL tests fail and say how to get them."""

import pytest
from postgres_server import PostgresUnavailable, find_binaries


def test_missing_binaries_are_an_error_that_says_how_to_install_them(monkeypatch, tmp_path):
    monkeypatch.setenv("PG_BIN", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("postgres_server.SEARCH", ())
    with pytest.raises(PostgresUnavailable, match="apt-get install postgresql-15"):
        find_binaries()
