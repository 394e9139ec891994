"""A report's PDF: the self-contained HTML printed by headless Chromium (its print stylesheet).

The page numbers and the running header are the document's own (its CSS ``@page`` margin boxes);
Chromium's header and footer (the file's URL and the date) are switched off. The PDF gets
bookmarks from the document's headings (``--generate-pdf-document-outline``) and is tagged
(``--generate-tagged-pdf``: headings, tables and reading order for screen readers). It is
readable by others (``-rw-r--r--``), as the HTML report.

Chromium is looked up on the PATH (Debian package ``chromium``); without it the PDF is refused
with a message saying how to install it, and the HTML report stays as written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 120
PRINT_OPTIONS = (
    "--no-pdf-header-footer",
    "--generate-pdf-document-outline",
    "--generate-tagged-pdf",
)
"""How the report is printed: no browser header/footer, bookmarks from headings, tagged."""
FILE_MODE = 0o644
"""The PDF's permissions: the author writes, everyone reads (as the HTML report)."""


class PdfError(RuntimeError):
    """The PDF could not be printed (no browser, or the browser failed); the reason is the text."""


def find_browser() -> str | None:
    """The first Chromium-family browser on the PATH, or None."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_to_pdf(html: Path, pdf: Path) -> None:
    """Print ``html`` to ``pdf`` with headless Chromium, atomically (nothing on failure)."""
    browser = find_browser()
    if browser is None:
        raise PdfError("--pdf needs Chromium on the PATH (Debian: apt-get install chromium)")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{pdf.name}.", suffix=".pdf", dir=pdf.parent)
    os.close(handle)
    with tempfile.TemporaryDirectory(prefix="ovaregen-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            *PRINT_OPTIONS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={temporary}",
            html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
            )
            if done.returncode != 0 or os.path.getsize(temporary) == 0:
                last = (done.stderr.strip().splitlines() or ["no message"])[-1]
                raise PdfError(f"Chromium could not print the report: {last}")
            os.chmod(temporary, FILE_MODE)
            os.replace(temporary, pdf)
        except subprocess.TimeoutExpired as error:
            raise PdfError(f"Chromium did not finish within {TIMEOUT_SECONDS} s") from error
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
