"""The Atom feeds carry the registry's words as text: markup an editor typed is never live."""

import xml.etree.ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"
MARKUP = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def first_entry(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return response.content, ET.fromstring(response.content).findall(f"{ATOM}entry")[0]


def test_markup_in_a_description_reaches_feed_readers_as_text(seed, client):
    from agreements.models import Cooperation

    cooperation = Cooperation.objects.get(slug="natverk-upphandlare-sydnarke")
    cooperation.description = MARKUP
    cooperation.save()
    for path in ("/flode.atom", "/en/flode.atom", "/kommuner/askersund/flode.atom"):
        raw, entry = first_entry(client, path)
        summary = entry.find(f"{ATOM}summary")
        # type="html" would tell the reader to render the (XML-unescaped) markup.
        assert summary.get("type") == "text", path
        assert MARKUP in summary.text, path
        assert b"<script>" not in raw and b"<img" not in raw, path


def test_markup_in_a_name_is_text_in_title_and_summary(seed, client):
    from agreements.models import Cooperation

    cooperation = Cooperation.objects.get(slug="natverk-upphandlare-sydnarke")
    cooperation.name = "<b onmouseover=alert(3)>Nätverket</b>"
    cooperation.save()
    raw, entry = first_entry(client, "/flode.atom")
    title = entry.find(f"{ATOM}title")
    assert title.get("type", "text") == "text"
    assert title.text == "<b onmouseover=alert(3)>Nätverket</b>"
    assert entry.find(f"{ATOM}summary").get("type") == "text"
    assert b"<b " not in raw
