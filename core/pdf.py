"""PDF documents, rendered by WeasyPrint in a closed world.

A confidential document must not reach outside the server while it is rendered: no network request
(which would tell a third party that a case was printed, and when), no local file other than the
project's static files and the embedded fonts. Every resource WeasyPrint wants — stylesheets, images,
fonts, ``@import`` — goes through :data:`safe_url_fetcher`, which serves:

* ``/static/…`` (as written by ``{% static %}``; the document's base URL makes it ``file:///static/…``),
  resolved through django.contrib.staticfiles to a file and read — never the file system path
  ``/static``;
* the DejaVu Sans files embedded by :func:`render_pdf`'s ``@font-face`` rules, so Vietnamese diacritics
  render the same on every server, whatever fontconfig would pick;
* ``data:`` URLs of raster images (PNG, JPEG, GIF) — e.g. a QR code made in memory;

and refuses everything else (other ``file://`` paths, ``http(s)://``, ``ftp://``…) by stopping the
render. Templates escape user text anyway; the fetcher is the second wall.

Apps render their own documents with :func:`render_pdf` (casework's case summary, a referral's
slip, the indicators report), so every PDF of the project goes through this one fetcher.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import posixpath
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

# Debian's fonts-dejavu-core (listed in the Makefile's runtime packages).
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FAMILY = "Document Sans"
# (file, font-weight, font-style) of the faces embedded in every document.
FONT_FACES: tuple[tuple[str, str, str], ...] = (
    ("DejaVuSans.ttf", "normal", "normal"),
    ("DejaVuSans-Bold.ttf", "bold", "normal"),
    ("DejaVuSans-Oblique.ttf", "normal", "italic"),
    ("DejaVuSans-BoldOblique.ttf", "bold", "italic"),
)

# Relative and root-relative URLs in a document resolve against this: "/static/x.css" becomes
# "file:///static/x.css", which the fetcher maps to a static file (and nothing else).
BASE_URL = "file:///"

STATIC_TYPES = {".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ttf", ".woff", ".woff2"}
DATA_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif"}
MAX_DATA_URL_BYTES = 2 * 1024 * 1024


class RefusedURL(FatalURLFetchingError):
    """A document asked for a resource outside the allow-list; the render stops.

    The message never repeats the URL: it could carry text from the record, and this message can end
    up in a log line or an error report.
    """


class PDFRenderError(Exception):
    """Rendering stopped (a refused resource). An ordinary exception, so Django handles it as a 500.

    (WeasyPrint's fatal fetch error derives from ``BaseException``, which would escape Django's
    request handling.)
    """


def _font_paths() -> dict[Path, str]:
    return {(FONT_DIR / name).resolve(): name for name, _w, _s in FONT_FACES}


def _static_path(name: str) -> Path | None:
    """The file behind a static name, via the staticfiles finders (or the collected, hashed copy)."""
    found = finders.find(name)
    if found:
        return Path(found if isinstance(found, str) else found[0])
    # In production {% static %} yields manifest names (print.1a2b3c.css) that exist only in STATIC_ROOT.
    try:
        collected = Path(staticfiles_storage.path(name))
    except (NotImplementedError, SuspiciousFileOperation):
        return None
    return collected if collected.is_file() else None


class SafeURLFetcher(URLFetcher):
    """WeasyPrint's fetcher, reduced to the static files, the embedded fonts and ``data:`` images.

    Everything refused raises :class:`RefusedURL`, which stops the render instead of leaving a gap in
    the document (and a log line naming the URL).
    """

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        try:
            parts = urlsplit(url)
        except ValueError:
            raise RefusedURL("Refused a malformed URL.") from None
        scheme = parts.scheme.lower()
        if scheme == "data":
            return self._data_image(url)
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = unquote(parts.path)
            static_prefix = urlsplit(settings.STATIC_URL).path
            if static_prefix.startswith("/") and path.startswith(static_prefix):
                return self._static(url, path[len(static_prefix):])
            return self._font(url, path)
        raise RefusedURL(f"Refused a {scheme or 'schemeless'} URL: documents may load only static files, "
                         "the embedded fonts and data: images.")

    def _static(self, url: str, name: str) -> URLFetcherResponse:
        normalised = posixpath.normpath(name)
        if (not name or "\x00" in name or name.startswith("/") or normalised.startswith("..")
                or normalised != name.rstrip("/")):
            raise RefusedURL("Refused a static path that leaves the static files.")
        suffix = Path(normalised).suffix.lower()
        if suffix not in STATIC_TYPES:
            raise RefusedURL(f"Refused a static file of type {suffix or 'none'}.")
        found = _static_path(normalised)
        if found is None:
            raise RefusedURL("A static file the document needs was not found.")
        if suffix == ".css":
            headers = {"Content-Type": "text/css; charset=utf-8"}
        else:
            headers = {"Content-Type": mimetypes.guess_type(found.name)[0] or "application/octet-stream"}
        return URLFetcherResponse(url, body=found.read_bytes(), headers=headers)

    def _font(self, url: str, path: str) -> URLFetcherResponse:
        try:
            resolved = Path(path).resolve()
        except (OSError, ValueError):
            raise RefusedURL("Refused a local file.") from None
        if resolved not in _font_paths() or not resolved.is_file():
            raise RefusedURL("Refused a local file that is not one of the embedded fonts.")
        return URLFetcherResponse(url, body=resolved.read_bytes(), headers={"Content-Type": "font/ttf"})

    def _data_image(self, url: str) -> URLFetcherResponse:
        header, comma, payload = url[len("data:"):].partition(",")
        params = [p.strip().lower() for p in header.split(";")]
        mime = params[0]
        if not comma or mime not in DATA_IMAGE_TYPES:
            raise RefusedURL("Refused a data: URL that is not a PNG, JPEG or GIF image.")
        try:
            body = (base64.b64decode(unquote(payload), validate=True) if "base64" in params[1:]
                    else unquote_to_bytes(payload))
        except (binascii.Error, ValueError):
            raise RefusedURL("Refused a malformed data: URL.") from None
        if len(body) > MAX_DATA_URL_BYTES:
            raise RefusedURL("Refused a data: image larger than 2 MB.")
        return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})


# fail_on_errors: an unexpected error while reading an allowed file stops the render too (a document with
# a silently missing stylesheet or font could print unreadably). The fetcher holds no per-request state.
safe_url_fetcher = SafeURLFetcher(fail_on_errors=True)


def font_face_css() -> str:
    """``@font-face`` rules embedding DejaVu Sans, and the document font.

    Missing files are skipped (a development machine without fonts-dejavu-core falls back to
    fontconfig's "DejaVu Sans", then any sans-serif font).
    """
    rules = [
        f'@font-face {{ font-family: "{FONT_FAMILY}"; font-weight: {weight}; font-style: {style}; '
        f'src: url("{(FONT_DIR / name).as_uri()}"); }}'
        for name, weight, style in FONT_FACES if (FONT_DIR / name).is_file()
    ]
    rules.append(f'html {{ font-family: "{FONT_FAMILY}", "DejaVu Sans", sans-serif; }}')
    return "\n".join(rules)


def render_pdf(html: str) -> bytes:
    """Render an HTML document (from a project template) to PDF, with the safe fetcher and fonts.

    Root-relative URLs (``{% static %}``) resolve to the project's static files. Raises
    :class:`PDFRenderError` when the document asks for anything else.
    """
    fonts = FontConfiguration()
    try:
        base = CSS(string=font_face_css(), base_url=BASE_URL, url_fetcher=safe_url_fetcher, font_config=fonts)
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=safe_url_fetcher)
        pdf: bytes = document.write_pdf(stylesheets=[base], font_config=fonts)
        return pdf
    except FatalURLFetchingError as exc:
        # Our own refusals carry no URL; WeasyPrint's generic fatal error would, so it is not chained.
        if isinstance(exc, RefusedURL):
            raise PDFRenderError(str(exc)) from None
        raise PDFRenderError("A resource of the document could not be loaded.") from None
