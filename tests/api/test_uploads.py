"""Zip uploads are opened defensively: traversal, absolute paths, symlinks, nesting, non-CSV members,
too many members and zip bombs are refused before anything is extracted beyond the limits."""

from __future__ import annotations

import contextlib
import io
import stat
import struct
import zipfile

import pytest

from api.errors import ApiError
from api.uploads import extract_zip
from models import DatasetError
from tests.api.helpers import READ, ZIP

LIMITS = {"max_members": 64, "max_uncompressed_bytes": 1 << 20}
CSV = b"region_id,name,population\nr0,r0,1\n"


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def _symlink(name: str, target: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def _messages(data: bytes, tmp_path) -> list[str]:
    with pytest.raises(DatasetError) as caught:
        extract_zip(data, tmp_path, **LIMITS)
    assert not any(tmp_path.iterdir()), "nothing may be extracted from a refused archive"
    return [f"{p.file}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([("../regions.csv", CSV)], "path traversal"),
        ([("data/../../regions.csv", CSV)], "path traversal"),
        ([("/etc/regions.csv", CSV)], "absolute path"),
        ([("C:/regions.csv", CSV)], "absolute path"),
        ([("data\\regions.csv", CSV)], "backslash"),
        ([_symlink("regions.csv", "/etc/passwd")], "symbolic link"),
        ([("a/b/regions.csv", CSV)], "nested folder"),
        ([("data/notes.txt", b"hello")], "not a CSV file"),
        ([("data/run.sh", b"#!/bin/sh")], "not a CSV file"),
        ([("data/other.csv", CSV)], "not a file of the dataset contract"),
        ([("a/regions.csv", CSV), ("b/beds.csv", CSV)], "several top folders"),
        ([("regions.csv", CSV), ("a/beds.csv", CSV)], "both at the top level and in a folder"),
        ([("regions.csv", CSV), ("regions.csv", CSV)], "more than once"),
    ],
)
def test_unsafe_or_unexpected_entries_are_refused(tmp_path, entries, expected):
    with pytest.warns(UserWarning) if expected == "more than once" else contextlib.nullcontext():
        data = _zip(entries)  # zipfile warns about a duplicate name but writes it
    assert any(expected in message for message in _messages(data, tmp_path))


def test_too_many_members_are_refused(tmp_path):
    data = _zip([(f"data/f{i}.csv", b"") for i in range(70)])
    assert any("too many entries" in m for m in _messages(data, tmp_path))


def test_macos_metadata_and_a_readme_are_skipped(tmp_path):
    data = _zip(
        [
            ("data/regions.csv", CSV),
            ("__MACOSX/data/._regions.csv", b"x"),
            ("data/.DS_Store", b"x"),
            ("data/README.md", b"# about"),
        ]
    )
    assert extract_zip(data, tmp_path, **LIMITS) == "data"
    assert [p.name for p in tmp_path.iterdir()] == ["regions.csv"]


def test_a_zip_bomb_is_stopped_at_the_declared_size_limit(tmp_path):
    bomb = _zip([("data/waiting_list.csv", b"0" * (4 << 20))])  # 4 MB of zeros compress to a few kB
    assert len(bomb) < 20_000
    with pytest.raises(ApiError) as caught:
        extract_zip(bomb, tmp_path, **LIMITS)
    assert caught.value.status_code == 413


def test_a_member_that_lies_about_its_size_is_never_inflated_beyond_it(tmp_path):
    data = bytearray(_zip([("data/waiting_list.csv", b"0" * (4 << 20))]))
    # declare 1000 bytes in the central directory (uncompressed size at offset 24 of its header)
    central = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)
    with pytest.raises(DatasetError):
        extract_zip(bytes(data), tmp_path, **LIMITS)
    written = tmp_path / "waiting_list.csv"
    assert not written.exists() or written.stat().st_size <= 1000


def test_a_zip_bomb_over_http_is_413_and_nothing_is_stored(tmp_path):
    from fastapi.testclient import TestClient

    from api.main import create_app
    from tests.api.helpers import make_settings

    bomb = _zip([("data/waiting_list.csv", b"0" * (3 << 20))])
    with TestClient(create_app(make_settings(tmp_path, max_uncompressed_mb=1))) as client:
        response = client.post("/api/v1/datasets", content=bomb, headers=ZIP)
        assert response.status_code == 413
        assert client.get("/api/v1/datasets", headers=READ).json()["count"] == 0


def test_traversal_over_http_is_422_naming_the_entry(client):
    response = client.post("/api/v1/datasets?name=x", content=_zip([("../regions.csv", CSV)]), headers=ZIP)
    assert response.status_code == 422
    assert response.json()["problems"][0]["file"] == "../regions.csv"
