"""The Analyse action: the report page and JSON of an artwork, kept in the catalog, and a
private work's analysis reaching its owner only."""

from __future__ import annotations

import pytest
from analyse_helpers import light_content, light_style, stored_work
from web_helpers import make_studio


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    studio = make_studio(tmp_path_factory.mktemp("analyse-web"))
    studio.public = stored_work(studio, 5, (200, 60, 40))
    studio.secret = stored_work(studio, 6, (40, 80, 190), private=True)
    return studio


@pytest.fixture(scope="module")
def app(studio):
    from studiolo.web.app import create_app

    app = create_app(studio)
    app.state.analyse_networks = (light_style, light_content)
    return app


def test_the_artwork_page_links_the_report_and_it_is_kept(owner, studio):
    page = owner.get(f"/artwork/{studio.public.id}")
    assert f'href="/artwork/{studio.public.id}/analysis"' in page.text
    report = owner.get(f"/artwork/{studio.public.id}/analysis?against=none")
    assert report.status_code == 200 and "Palette" in report.text
    assert "script-src" not in report.headers["content-security-policy"]
    assert "img-src data:" in report.headers["content-security-policy"]
    data = owner.get(f"/api/artworks/{studio.public.id}/analysis?against=none").json()
    assert data["artwork_id"] == studio.public.id and data["unknown"] is None
    again = owner.get(f"/api/artworks/{studio.public.id}/analysis?against=none").json()
    assert again["created"] == data["created"]


def test_a_private_works_analysis_reaches_its_owner_only(owner, member, studio):
    mine = owner.get(f"/api/artworks/{studio.secret.id}/analysis?against=none")
    assert mine.status_code == 200, mine.text
    for url in (f"/api/artworks/{studio.secret.id}/analysis?against=none",
                f"/artwork/{studio.secret.id}/analysis?against=none"):
        assert member.get(url).status_code == 404
        assert "colour" not in member.get(url).text


def test_a_bad_collection_name_is_one_sentence(owner, studio):
    reply = owner.get(f"/api/artworks/{studio.public.id}/analysis?against=bad%20name")
    assert reply.status_code == 400
    assert "`against` must be a collection's name or 'none', got 'bad name'" in reply.text
