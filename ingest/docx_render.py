"""A Word file's pages: LibreOffice (headless) lays the .docx out as a PDF, when it is installed.

Why: a .docx has no pages until something lays it out, and a lawyer cites "p. 7" of the copy everyone
printed. LibreOffice's layout is close to Word's; its PDF gives page numbers, the page view and its
highlights. It is optional (Debian: `libreoffice-writer-nogui`): without it — or with
LONGDOC_DOCX_RENDER=off — citations name the clause ("cl. 12.3") and the page view shows text.

soffice runs in its own process group (killed whole on a timeout: it forks soffice.bin), with a private
profile folder (a second instance with the user's profile would hand the job to a running office, or
wait for its lock), and with the parser's address-space cap lifted (an office suite maps more than one
document parse may).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import tempfile
import zipfile
from pathlib import Path

RENDER_MODES = ("auto", "off")
DEFAULT_TIMEOUT_S = 180


def soffice() -> str | None:
    """The LibreOffice executable on PATH, None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _uncap() -> None:  # pragma: no cover - runs in the child between fork and exec
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    except (ValueError, OSError):
        pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
        pass


def render_pdf(path: Path, mode: str = "auto", timeout_s: int = DEFAULT_TIMEOUT_S) -> tuple[Path | None, str]:
    """Convert `path` (a .docx) to PDF in a fresh temporary folder: (the PDF, "") or (None, why not).

    The caller owns the folder (`pdf.parent.parent`) and removes it."""
    if mode == "off":
        return None, "Word page rendering is off (LONGDOC_DOCX_RENDER=off)"
    if soffice() is None:
        return None, "LibreOffice is not installed (libreoffice-writer-nogui)"
    fd, name = tempfile.mkstemp(prefix="longdoc-accepted-", suffix=".docx")
    os.close(fd)
    try:
        try:
            accept_changes(path, Path(name))
        except Exception:  # noqa: BLE001 - a part we cannot rewrite: LibreOffice lays out the file as it is
            shutil.copyfile(path, name)
        return convert(Path(name), "pdf:writer_pdf_Export", ".docx", timeout_s)
    finally:
        Path(name).unlink(missing_ok=True)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DROP = {_W + t for t in ("del", "moveFrom", "rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange",
                          "tcPrChange", "tblGridChange", "numberingChange", "moveFromRangeStart", "moveFromRangeEnd",
                          "moveToRangeStart", "moveToRangeEnd", "cellDel")}
_UNWRAP = {_W + "ins", _W + "moveTo", _W + "cellIns"}
_PARTS = ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml")


def _accept(xml: bytes) -> bytes:
    from lxml import etree  # python-docx's XML library

    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    for el in [e for e in root.iter() if e.tag in _DROP]:
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    for el in [e for e in root.iter() if e.tag in _UNWRAP]:
        parent = el.getparent()
        if parent is None:
            continue
        at = parent.index(el)
        for k, child in enumerate(list(el)):
            parent.insert(at + k, child)
        parent.remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def accept_changes(src: Path, dst: Path) -> None:
    """A copy of the .docx with every tracked change accepted: LibreOffice would otherwise print deletions
    struck through beside the insertions ("3045 days"), and the page would not read as the text does."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename in _PARTS or info.filename.startswith(("word/header", "word/footer")):
                data = _accept(data)
            zout.writestr(info, data)


def convert(path: Path, target: str, as_suffix: str, timeout_s: int = DEFAULT_TIMEOUT_S) -> tuple[Path | None, str]:
    """Convert `path`, read as a `as_suffix` file, to `target` ("pdf:writer_pdf_Export", "docx:MS Word 2007
    XML") in a fresh temporary folder: (the result in `<folder>/out/`, "") or (None, why not)."""
    exe = soffice()
    if exe is None:
        return None, "LibreOffice is not installed (libreoffice-writer-nogui)"
    tmp = Path(tempfile.mkdtemp(prefix="longdoc-docx-"))
    out = tmp / "out"
    src = tmp / f"document{as_suffix}"  # LibreOffice picks its filter by the name; a job may read a copy without one
    try:
        shutil.copyfile(path, src)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        return None, f"could not copy the file for LibreOffice: {e.strerror or e}"
    cmd = [exe, f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless", "--invisible", "--norestore",
           "--nologo", "--nodefault", "--nolockcheck", "--convert-to", target, "--outdir", str(out), str(src)]
    env = {**os.environ, "HOME": str(tmp), "SAL_USE_VCLPLUGIN": "svp"}
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, env=env, preexec_fn=_uncap)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        return None, f"LibreOffice could not start: {e.strerror or e}"
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        shutil.rmtree(tmp, ignore_errors=True)
        return None, f"LibreOffice gave up after {timeout_s} s"
    except BaseException:  # the parser's own per-file alarm: nothing of this attempt stays behind
        _kill_group(proc)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        _kill_group(proc)  # soffice.bin and anything it left behind, even when the wait was interrupted
    result = out / f"document.{target.split(':', 1)[0]}"
    if proc.returncode != 0 or not result.is_file() or result.stat().st_size == 0:
        shutil.rmtree(tmp, ignore_errors=True)
        return None, f"LibreOffice could not convert the file (exit {proc.returncode})"
    return result, ""


def pdf_page_texts(pdf: Path) -> list[str]:
    """Each page's text of the rendered PDF (pdfium); [] when it cannot be read."""
    try:
        import pypdfium2 as pdfium
    except ImportError:  # pragma: no cover - a dependency
        return []
    try:
        doc = pdfium.PdfDocument(str(pdf))
    except Exception:  # noqa: BLE001 - an unreadable rendering: clause citations instead
        return []
    texts: list[str] = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            try:
                tp = page.get_textpage()
                try:
                    texts.append(tp.get_text_range())
                finally:
                    tp.close()
            finally:
                page.close()
    finally:
        doc.close()
    return texts
