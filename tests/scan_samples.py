"""Scans the tests make: realistic pages, a book, and a hostile set. Built in memory, deterministic."""

from __future__ import annotations

import io
import random
import zlib

import img2pdf
import pikepdf
from PIL import Image, ImageDraw, ImageFont

WORDS = [
    "Nguyen",
    "Van",
    "An",
    "sinh",
    "ngay",
    "thang",
    "nam",
    "tai",
    "xa",
    "Binh",
    "Thi",
    "Hoa",
    "me",
    "cha",
]
STAMP_RED = (200, 30, 30)


def page_image(
    *, dpi: int = 300, seed: int = 1, noise: int = 40, stamp: bool = True, label: str = ""
) -> Image.Image:
    """An A4 register page as a scanner gives it: grainy yellowed paper, lines of writing, a red stamp."""
    rng = random.Random(seed)
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    paper = Image.effect_noise((width, height), noise).convert("L").point(lambda v: 190 + v // 6)
    image = Image.merge("RGB", (paper, paper.point(lambda v: v - 6), paper.point(lambda v: v - 25)))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, int(dpi * 0.16)))
    if label:
        draw.text((int(dpi * 0.7), int(dpi * 0.3)), label, fill=(10, 10, 10), font=font)
    y = int(dpi * 0.8)
    while y < height - dpi:
        line = " ".join(rng.choice(WORDS) for _ in range(8))
        draw.text((int(dpi * 0.7), y), line, fill=(30, 30, 60), font=font)
        y += int(dpi * 0.35)
    if stamp:
        cx, cy, r = int(width * 0.7), int(height * 0.85), int(dpi * 0.8)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=STAMP_RED, width=max(2, int(dpi * 0.05)))
        draw.text((cx - r // 2, cy), "UBND XA", fill=STAMP_RED, font=font)
    return image


def jpeg_bytes(image: Image.Image, *, quality: int = 95, dpi: int = 300) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return buffer.getvalue()


def pdf_of_jpegs(jpegs: list[bytes]) -> bytes:
    return img2pdf.convert(jpegs)


def scanned_page_pdf() -> tuple[bytes, Image.Image]:
    """A one-page scan of 3–5 MB (A4, 300 dpi, colour, grainy, JPEG quality 95) and the page it shows."""
    image = page_image(dpi=300, noise=60)
    return pdf_of_jpegs([jpeg_bytes(image, quality=95)]), image


def book_pdf(pages: int) -> bytes:
    """A book scan: `pages` small grayscale pages at 110 dpi, each labelled with its number."""
    base = page_image(dpi=110, noise=2, stamp=False).convert("L")
    jpegs = []
    for number in range(1, pages + 1):
        image = base.copy()
        ImageDraw.Draw(image).text((80, 20), f"TRANG {number}", fill=0, font=ImageFont.load_default(size=30))
        jpegs.append(jpeg_bytes(image, quality=50, dpi=110))
    return pdf_of_jpegs(jpegs)


def small_page_pdf(label: str = "TEST") -> bytes:
    image = page_image(dpi=150, noise=2, stamp=False, label=label, seed=sum(map(ord, label))).convert("L")
    return pdf_of_jpegs([jpeg_bytes(image, quality=50, dpi=150)])


def _save(pdf: pikepdf.Pdf, **kwargs) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer, **kwargs)
    return buffer.getvalue()


def with_javascript() -> bytes:
    """JavaScript at document level (OpenAction, name tree) and page level (/AA, a link), plus a launch."""
    pdf = pikepdf.open(io.BytesIO(small_page_pdf("JS")))
    js = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('owned')"))
    pdf.Root.OpenAction = js
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("x"), pdf.make_indirect(js)]))
    )
    page = pdf.pages[0]
    page.obj.AA = pikepdf.Dictionary(
        O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("this.x=1"))
    )
    page.obj.Annots = pdf.make_indirect(
        pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Link,
                    Rect=[0, 0, 100, 100],
                    A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")),
                )
            ]
        )
    )
    return _save(pdf)


def with_embedded_file() -> bytes:
    pdf = pikepdf.open(io.BytesIO(small_page_pdf("EMBED")))
    # The stub makes every keyword required; at runtime each defaults to "" (given here as such).
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(
        pdf,
        b"MZ\x90\x00 not really a program",
        description="",
        filename="",
        mime_type="",
        creation_date="",
        mod_date="",
    )
    return _save(pdf)


def encrypted() -> bytes:
    pdf = pikepdf.open(io.BytesIO(small_page_pdf("ENC")))
    return _save(pdf, encryption=pikepdf.Encryption(owner="owner", user="secret"))


def encrypted_no_password() -> bytes:
    pdf = pikepdf.open(io.BytesIO(small_page_pdf("ENC0")))
    return _save(pdf, encryption=pikepdf.Encryption(owner="owner", user=""))


def zero_pages() -> bytes:
    return _save(pikepdf.new())


def truncated() -> bytes:
    content = small_page_pdf("TRUNC")
    return content[: len(content) * 2 // 3]


def content_stream_bomb() -> bytes:
    """A page whose content stream is 1.5 KB on disk and 64 MB inflated."""
    pdf = pikepdf.open(io.BytesIO(small_page_pdf("BOMB")))
    raw = zlib.compress(b" " * (64 * 1024 * 1024), 9)
    pdf.pages[0].obj.Contents = pdf.make_stream(b"")
    pdf.pages[0].obj.Contents.write(raw, filter=pikepdf.Name.FlateDecode)
    return _save(pdf, compress_streams=False)


def image_bomb_pdf() -> bytes:
    """An image claiming 100,000 × 100,000 pixels (10 gigapixels)."""
    pdf = pikepdf.open(io.BytesIO(small_page_pdf("IBOMB")))
    image = next(iter(pdf.pages[0].obj.Resources.XObject.values()))
    raw = zlib.compress(b"\x00" * (1024 * 1024), 9)
    image.write(raw, filter=pikepdf.Name.FlateDecode)
    image.Width, image.Height = 100_000, 100_000
    return _save(pdf)


def png_bomb() -> bytes:
    """A PNG of 12,000 × 12,000 pixels (144 MP) that weighs a few kilobytes."""
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000), 1).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def png_page() -> bytes:
    buffer = io.BytesIO()
    page_image(dpi=150, noise=8, stamp=False, label="PNG").convert("L").save(
        buffer, format="PNG", dpi=(150, 150)
    )
    return buffer.getvalue()
