"""Layout the about part promises, measured in Chromium: the footer at the bottom of short
pages, and /oppna-data/ within a phone's width with parameter names unbroken."""

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/finns-inte/", "/en/finns-inte/"])
def test_footer_sits_at_the_bottom_of_a_short_page(page, live_site, path):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_site.url + path)
    footer = page.locator("footer.site-footer").bounding_box()
    assert footer["y"] + footer["height"] == pytest.approx(900, abs=1)


@pytest.mark.parametrize("path", ["/oppna-data/", "/en/oppna-data/"])
def test_open_data_page_fits_a_375_px_screen(page, live_site, path):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_site.url + path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.parametrize("path", ["/oppna-data/", "/en/oppna-data/"])
def test_open_data_parameter_names_are_never_broken(page, live_site, path):
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(live_site.url + path)
    broken = page.evaluate(
        """() => [...document.querySelectorAll('.parameters dt code')]
            .filter(code => code.getClientRects().length > 1)
            .map(code => code.textContent)"""
    )
    assert page.locator(".parameters dt code").count() > 20
    assert broken == []
