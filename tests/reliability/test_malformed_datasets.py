"""Malformed datasets through the API (issue 8, item 2): the corpus of `tests/reliability/corpus.py`.

Each broken dataset is uploaded to one app (limits: 4 MB bodies, 8 MB uncompressed) and must be
rejected with its status (422, 413 or 415), every problem naming its file, and the expected problem
naming the file, row and column where they apply; nothing may be stored (the dataset list is
unchanged and the staging folder is empty again), an identity number is never echoed, and the app
keeps serving (health ok after each). The bases themselves are valid: uploaded first, then deleted.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import READ, WRITE
from tests.reliability.corpus import ANY, CORPUS, ZIP_TYPE, Breakage, bases
from tests.reliability.figures import record
from tests.reliability.support import running_app


@pytest.fixture(scope="module")
def client(tmp_path_factory, backend):
    base = tmp_path_factory.mktemp("corpus")
    with running_app(base, backend, max_upload_mb=4, max_uncompressed_mb=8) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def app_settings(client):
    return client.app.state.settings


@pytest.fixture(scope="module")
def base_files(tmp_path_factory):
    return bases(tmp_path_factory.mktemp("bases"))


def _datasets(client) -> list[str]:
    body = client.get("/api/v1/datasets?limit=1000", headers=READ).json()
    return sorted(d["name"] for d in body["data"])


def _upload(client, name: str, body: bytes, content_type: str = ZIP_TYPE):
    return client.post(f"/api/v1/datasets?name={name}", content=body, headers={**WRITE, "content-type": content_type})


def test_the_bases_are_valid(client, base_files):
    from tests.reliability.corpus import zip_files

    for name, files in base_files.items():
        response = _upload(client, name, zip_files(files, name))
        assert response.status_code == 201, response.text[:2000]
        assert client.delete(f"/api/v1/datasets/{name}", headers=WRITE).status_code == 204
    assert _datasets(client) == []


def _matches(problem: dict, broken) -> bool:
    return (
        all(
            expected is ANY or problem[key] == expected
            for key, expected in (("file", broken.file), ("row", broken.row), ("column", broken.column))
        )
        and broken.message in problem["message"]
    )


@pytest.mark.parametrize("breakage", CORPUS, ids=[b.name for b in CORPUS])
def test_a_malformed_dataset_is_rejected_and_nothing_is_stored(client, app_settings, base_files, breakage: Breakage):
    before = _datasets(client)
    broken = breakage.build(base_files[breakage.base])
    response = _upload(client, breakage.name, broken.body(top=breakage.name), broken.content_type)
    record("malformed datasets")

    assert response.status_code == broken.status, response.text[:3000]
    body = response.json()
    assert set(body) == {"detail", "problems", "conflicts"} and body["detail"]
    if broken.status == 422:
        assert body["problems"], body
        assert all(problem["file"] for problem in body["problems"]), body["problems"]
        assert any(_matches(problem, broken) for problem in body["problems"]), body["problems"][:10]
    if broken.secret is not None:
        assert broken.secret not in response.text
    assert _datasets(client) == before, "a rejected upload was stored"
    assert client.get(f"/api/v1/datasets/{breakage.name}", headers=READ).status_code == 404
    assert list((app_settings.data_dir / "staging").iterdir()) == [], "the upload left files in staging"
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}


def test_the_corpus_is_large_and_varied():
    assert len(CORPUS) >= 50
    assert len({b.name for b in CORPUS}) == len(CORPUS)
    assert {b.base for b in CORPUS} == {"default", "default-full", "small"}
