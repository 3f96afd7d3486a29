"""The case summary PDF: a real document, Vietnamese text intact, nothing fetched from outside."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from django.urls import reverse

from casework import services
from casework.models import CaseAccess
from casework.pdf import render_case_summary
from core.pdf import FONT_DIR, PDFRenderError, RefusedURL, render_pdf, safe_url_fetcher
from tests.casework.builders import CANARY_NAME, case_a
from tests.conftest import signed_in

# poppler-utils (in the Makefile's test packages) reads the text, fonts and metadata back out of the PDF.

HOSTILE = '<img src="file:///etc/passwd"><link rel="stylesheet" href="http://evil.example/x.css">'


def poppler(tool: str, pdf: bytes, tmp_path: Path, *options: str) -> str:
    path = tmp_path / f"{tool}.pdf"
    path.write_bytes(pdf)
    # A fixed poppler tool on a file this test wrote.
    return subprocess.run([tool, *options, str(path), *(["-"] if tool == "pdftotext" else [])],  # noqa: S603
                          capture_output=True, check=True, text=True).stdout


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    return poppler("pdftotext", pdf, tmp_path, "-layout", "-enc", "UTF-8")


def pdf_info(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    lines = poppler("pdfinfo", pdf, tmp_path, "-enc", "UTF-8").splitlines()
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in lines)}


def pdf_fonts(pdf: bytes, tmp_path: Path) -> str:
    return poppler("pdffonts", pdf, tmp_path)


def download(cast, membership=None):
    case = case_a(cast)
    client = signed_in(membership or cast.volunteer_a)
    return case, client.get(reverse("casework:case-summary-pdf", args=[case.pk]))


def test_volunteer_downloads_the_summary_as_a_pdf_attachment_named_by_code_only(cast):
    case, response = download(cast)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="ho-so-{case.survivor.code}.pdf"'
    assert "no-store" in response["Cache-Control"]  # said by accounts.middleware.NoStoreMiddleware
    assert response.content.startswith(b"%PDF-")


def test_summary_holds_the_whole_record_with_vietnamese_diacritics(cast, tmp_path):
    case, response = download(cast)
    text = pdf_text(response.content, tmp_path)
    for expected in (
        case.survivor.code,
        CANARY_NAME,                          # "Hờ Thị Canary Zyx": ờ and ị must survive
        "0987 654 321", "Thôn Kon, xã Một", "064190001234",
        "Anh ta đánh chị ấy.",                # incident narrative
        "Đến nhà trưởng thôn nếu anh ta say.",  # safety plan
        "Chị ấy muốn về nhà mẹ đẻ.",          # note
        "Địa chỉ tin cậy A",
        "5.000.000",                          # livelihood amount
        "alice",                              # who printed it
    ):
        assert expected in text, expected
    assert "Tóm tắt hồ sơ" in text or "Case summary" in text


def test_summary_embeds_dejavu_sans_and_no_other_font(cast, tmp_path):
    _case, response = download(cast)
    fonts = pdf_fonts(response.content, tmp_path)
    # Every font in the file is the embedded DejaVu Sans (named by our @font-face), subset and embedded.
    faces = [line.split()[0].split("+", 1)[1] for line in fonts.splitlines()[2:]]
    assert sorted(set(faces)) == ["Document-Sans", "Document-Sans-Bold"]
    assert all(" yes yes yes " in line for line in fonts.splitlines()[2:])


def test_pdf_metadata_title_names_the_code_not_the_survivor(cast, tmp_path):
    case, response = download(cast)
    info = pdf_info(response.content, tmp_path)
    assert case.survivor.code in info["Title"]
    assert "Canary" not in info["Title"]


def test_printing_is_recorded_in_the_access_log(cast):
    case, _response = download(cast, cast.lead_a)
    access = CaseAccess.objects.get(case=case, action=CaseAccess.Action.PRINT_SUMMARY)
    assert (access.user, access.organisation, access.role) == (cast.lead_a.user, cast.address_a, "lead")
    assert access.survivor_id == case.survivor_id


def test_summary_states_when_and_by_whom_it_was_printed(cast, tmp_path):
    case = case_a(cast)
    pdf = render_case_summary(case, printed_by=cast.lead_a)
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert "lan" in text
    assert "Địa chỉ tin cậy A" in text


def test_user_text_that_looks_like_html_is_printed_as_text_and_fetches_nothing(cast, tmp_path, monkeypatch):
    case = case_a(cast)
    services.note_add(case=case, by=cast.volunteer_a, text=HOSTILE)
    fetched: list[str] = []
    original = type(safe_url_fetcher).fetch
    monkeypatch.setattr(type(safe_url_fetcher), "fetch",
                        lambda self, url, headers=None: fetched.append(url) or original(self, url, headers))
    pdf = render_case_summary(case, printed_by=cast.volunteer_a)
    text = " ".join(pdf_text(pdf, tmp_path).split())
    assert '<img src="file:///etc/passwd">' in text
    assert not [url for url in fetched if "passwd" in url or "evil" in url]
    assert any(url.endswith("/static/css/print.css") for url in fetched)


def test_template_escapes_markup_in_the_record(cast):
    from django.template.loader import render_to_string

    from casework.pdf import case_summary_context

    case = case_a(cast)
    services.note_add(case=case, by=cast.volunteer_a, text=HOSTILE)
    context = case_summary_context(case, printed_by=cast.lead_a)
    html = render_to_string("casework/pdf/case_summary.html", context)
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    assert "&lt;link rel=&quot;stylesheet&quot; href=&quot;http://evil.example/x.css&quot;&gt;" in html
    assert "<img" not in html and 'href="http://evil.example' not in html


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "file:///usr/share/fonts/truetype/dejavu/../../../../etc/passwd",
    "file:///static/../etc/passwd",
    "file:///static/css/../../../etc/passwd",
    "file:///static/%2e%2e/%2e%2e/etc/passwd",
    "file:///static/css/app.css.py",
    "file://evil.example/static/css/print.css",
    "http://evil.example/x.css",
    "https://evil.example/x.png",
    "ftp://evil.example/x",
    "data:text/html,<script>alert(1)</script>",
    "data:image/svg+xml;base64,PHN2Zy8+",
    "javascript:alert(1)",
])
def test_fetcher_refuses_anything_but_static_files_fonts_and_data_images(url):
    with pytest.raises(RefusedURL) as refused:
        safe_url_fetcher(url)
    # The refusal never repeats the URL (it could carry record text into a log).
    assert url not in str(refused.value) and "passwd" not in str(refused.value)


def test_fetcher_serves_static_files_through_the_finders():
    response = safe_url_fetcher("file:///static/css/print.css")
    assert response.content_type == "text/css"
    assert b"@page" in response.read()


def test_fetcher_serves_the_embedded_font():
    response = safe_url_fetcher((FONT_DIR / "DejaVuSans.ttf").as_uri())
    assert response.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font


def test_fetcher_accepts_a_small_png_data_url():
    one_pixel = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
                 "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
    assert safe_url_fetcher(one_pixel).read()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_document_that_reaches_outside_is_not_rendered():
    with pytest.raises(PDFRenderError):
        render_pdf('<html><body><img src="http://evil.example/track.png"></body></html>')
    with pytest.raises(PDFRenderError):
        render_pdf('<html><head><link rel="stylesheet" href="file:///etc/passwd"></head><body>x</body></html>')


def test_full_case_renders_in_a_few_seconds_at_most(cast):
    """About 0.7 s for case A's three pages on a laptop; the bound only catches a pathological slowdown
    (fonts embedded whole instead of subset, a fetch that waits on a timeout)."""
    case = case_a(cast)
    render_case_summary(case, printed_by=cast.volunteer_a)  # warm fontconfig and template caches
    started = time.perf_counter()
    render_case_summary(case, printed_by=cast.volunteer_a)
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0, f"case summary took {elapsed:.2f}s"
