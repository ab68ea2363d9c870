"""The scan pipeline on bytes (no database): size under the legibility rule, and the hostile set."""

import io

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageChops, ImageStat

from scans import pdf as scan_pdf
from tests import scan_samples as samples

BUDGET_KB = 100


def clean(content: bytes, name: str = "scan.pdf") -> scan_pdf.CleanScan:
    return scan_pdf.scan_clean(content, max_pages=20, budget_kb=BUDGET_KB, name=name)


def page_images(content: bytes):
    """Each page's image object and its effective dpi, from a PDF the pipeline built."""
    with pikepdf.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            (image,) = page.obj.Resources.XObject.values()
            width_in = float(page.mediabox[2]) / 72
            yield bytes(image.read_raw_bytes()), int(image.Width) / width_in


def all_keys(content: bytes) -> set[str]:
    keys: set[str] = set()
    with pikepdf.open(io.BytesIO(content)) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                keys.update(obj.keys())
                for value in obj.values():
                    if isinstance(value, pikepdf.Name):
                        keys.add(str(value))
    return keys


def test_a_3mb_scanned_page_comes_out_under_100kb_and_stays_legible_by_the_rule():
    # Given a scanner's A4 page at 300 dpi, colour, JPEG quality 95: about 3 MB
    original_pdf, original = samples.scanned_page_pdf()
    assert len(original_pdf) > 2_500_000

    result = clean(original_pdf)

    # Then the page is at most 100 KB ...
    assert result.page_count == 1
    assert len(result.content) <= BUDGET_KB * 1024
    ((jpeg, dpi),) = page_images(result.content)
    assert len(jpeg) <= BUDGET_KB * 1024
    # ... and meets the legibility rule: >= 100 dpi at A4 and JPEG quality >= 40
    page = result.pages[0]
    assert dpi >= scan_pdf.LEGIBILITY.min_dpi and page.dpi >= 100
    assert page.quality >= scan_pdf.LEGIBILITY.min_quality
    # ... it kept the colour the red stamp needs ...
    assert page.colour
    stored = Image.open(io.BytesIO(jpeg)).convert("RGB")
    scale = stored.width / original.width
    cx, cy = int(original.width * 0.7 * scale), int(original.height * 0.85 * scale)
    ring = stored.crop((cx - int(0.82 * 300 * scale), cy - 3, cx - int(0.76 * 300 * scale), cy + 3))
    r, g, b = ImageStat.Stat(ring).mean
    assert r > g + 40 and r > b + 40, "the stamp must stay red"
    # ... and shows what the original shows: same picture within a small error.
    reference = original.resize(stored.size, Image.Resampling.LANCZOS).convert("L")
    difference = ImageStat.Stat(ImageChops.difference(reference, stored.convert("L"))).rms[0]
    assert difference < 10


def test_a_page_that_is_already_small_is_copied_byte_for_byte():
    content = samples.small_page_pdf("COPY")
    with pikepdf.open(io.BytesIO(content)) as pdf:
        (image,) = pdf.pages[0].obj.Resources.XObject.values()
        original_jpeg = bytes(image.read_raw_bytes())
    result = clean(content)
    assert result.pages[0].copied
    assert next(page_images(result.content))[0] == original_jpeg


def test_a_page_below_the_legibility_floor_is_refused_not_stored():
    image = samples.page_image(dpi=60, noise=5, stamp=False)
    content = samples.pdf_of_jpegs([samples.jpeg_bytes(image, dpi=60)])
    with pytest.raises(ValidationError) as refused:
        clean(content)
    assert refused.value.code == "low_resolution"
    assert "Page 1 has only 60 dpi" in refused.value.messages[0]


def test_a_page_that_cannot_fit_without_becoming_illegible_is_refused_with_the_figures():
    # Pure colour noise at 300 dpi: no encoding at >= 100 dpi and quality 40 fits 100 KB.
    noise = Image.merge("RGB", [Image.effect_noise((2480, 3508), 120).convert("L") for _ in range(3)])
    content = samples.pdf_of_jpegs([samples.jpeg_bytes(noise, quality=90)])
    with pytest.raises(ValidationError) as refused:
        clean(content)
    assert refused.value.code == "illegible_at_limit"
    message = refused.value.messages[0]
    assert "cannot be brought to 100 KB and stay legible" in message
    assert "100 dpi and JPEG quality 40" in message


def test_images_are_converted_to_pdf_and_a_png_named_pdf_is_read_as_png():
    result = clean(samples.png_page(), name="scan.pdf")
    assert result.kind == "png"
    assert result.page_count == 1 and len(result.content) <= BUDGET_KB * 1024
    assert "named .pdf but is a PNG" in result.notes[0]
    with pikepdf.open(io.BytesIO(result.content)) as pdf:
        assert len(pdf.pages) == 1


def test_a_multipage_tiff_becomes_one_pdf():
    frames = [samples.page_image(dpi=150, noise=5, stamp=False, label=f"T{i}").convert("L") for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:], dpi=(150, 150))
    result = clean(buffer.getvalue(), name="book.tif")
    assert result.page_count == 3
    assert all(p.dpi >= 100 for p in result.pages)


@pytest.mark.parametrize(
    ("make", "code", "text"),
    [
        (samples.truncated, "truncated", "The PDF is incomplete"),
        (samples.encrypted, "encrypted", "encrypted"),
        (samples.encrypted_no_password, "encrypted", "encrypted"),
        (samples.zero_pages, "empty", "no pages"),
        (samples.content_stream_bomb, "bomb", "decompression bomb"),
        (samples.image_bomb_pdf, "bomb", "decompression bomb"),
        (samples.png_bomb, "bomb", "decompression bomb"),
        (lambda: b"MZ\x90\x00 this is a program", "not_a_scan", "not a PDF, JPEG, PNG or TIFF"),
    ],
    ids=[
        "truncated",
        "encrypted",
        "encrypted-empty-password",
        "zero-pages",
        "stream-bomb",
        "image-bomb",
        "png-bomb",
        "exe",
    ],
)
def test_hostile_files_are_refused_with_a_clear_message(make, code, text):
    with pytest.raises(ValidationError) as refused:
        clean(make())
    assert refused.value.code == code
    assert text in refused.value.messages[0]


def test_javascript_at_document_and_page_level_and_launch_actions_are_removed():
    result = clean(samples.with_javascript())
    assert {"JavaScript", "automatic action on opening", "automatic page action", "launch action"} <= set(
        result.removed
    )
    keys = all_keys(result.content)
    assert not keys & {
        "/JS",
        "/JavaScript",
        "/OpenAction",
        "/AA",
        "/Annots",
        "/Launch",
        "/Names",
        "/AcroForm",
    }
    with pikepdf.open(io.BytesIO(result.content)) as pdf:
        assert len(pdf.pages) == 1


def test_an_embedded_file_is_removed():
    result = clean(samples.with_embedded_file())
    assert "embedded file" in result.removed
    with pikepdf.open(io.BytesIO(result.content)) as pdf:
        assert len(pdf.attachments) == 0
    assert not all_keys(result.content) & {"/EmbeddedFiles", "/EmbeddedFile", "/EF", "/Filespec"}


def test_the_same_input_gives_the_same_bytes():
    content = samples.small_page_pdf("SAME")
    assert clean(content).content == clean(content).content


def test_page_images_for_the_viewer_come_from_the_stored_jpeg():
    result = clean(samples.small_page_pdf("VIEW"))
    full = scan_pdf.page_image(result.content, 1, width=3000)
    assert full == next(page_images(result.content))[0]
    small = Image.open(io.BytesIO(scan_pdf.page_image(result.content, 1, width=200)))
    assert small.width <= 200 and small.format == "JPEG"


def _two_page_scan() -> bytes:
    """Two A4 pages as a scanner gives them (300 dpi, colour, grainy, JPEG quality 95): about 6 MB."""
    first = samples.page_image(dpi=300, noise=60, seed=1)
    second = samples.page_image(dpi=300, noise=60, seed=2, stamp=False)
    return samples.pdf_of_jpegs(
        [samples.jpeg_bytes(first, quality=95), samples.jpeg_bytes(second, quality=95)]
    )


def test_a_two_page_case_ends_within_100kb_as_a_whole_and_legible_by_the_rule():
    # Given a two-page case, under the per-case rule (the default setting)
    result = scan_pdf.scan_clean(_two_page_scan(), max_pages=20, budget_kb=100, limit_per="case")

    # Then the whole file is at most 100 KB, not flagged ...
    assert result.page_count == 2 and not result.over_limit
    assert len(result.content) <= 100 * 1024
    assert result.summary()["limit_per"] == "case"
    # ... and every page keeps the legibility rule: >= 100 dpi at A4, JPEG quality >= 40
    for (jpeg, dpi), page in zip(page_images(result.content), result.pages, strict=True):
        assert dpi >= scan_pdf.LEGIBILITY.min_dpi - 1 and page.dpi >= scan_pdf.LEGIBILITY.min_dpi
        assert page.quality is not None and page.quality >= scan_pdf.LEGIBILITY.min_quality
        assert Image.open(io.BytesIO(jpeg)).width >= 827  # A4 at 100 dpi
    # ... the first page keeps the colour of its red stamp
    assert result.pages[0].colour


def test_the_per_page_setting_keeps_each_page_within_100kb_as_before():
    result = scan_pdf.scan_clean(_two_page_scan(), max_pages=20, budget_kb=100, limit_per="page")
    assert result.page_count == 2 and not result.over_limit
    sizes = [len(jpeg) for jpeg, _dpi in page_images(result.content)]
    assert all(size <= 100 * 1024 for size in sizes)
    # Each page may use its own 100 KB: the case as a whole is larger than the per-case limit.
    assert len(result.content) > 100 * 1024


def test_a_case_that_cannot_fit_legibly_is_stored_at_the_floor_and_flagged_never_worse():
    # Pure colour noise: no encoding at >= 100 dpi and quality 40 fits 100 KB.
    noise = Image.merge("RGB", [Image.effect_noise((2480, 3508), 120).convert("L") for _ in range(3)])
    content = samples.pdf_of_jpegs([samples.jpeg_bytes(noise, quality=90)])

    result = scan_pdf.scan_clean(content, max_pages=20, budget_kb=100, limit_per="case")

    # Stored, flagged, at the legibility floor (never below it)
    assert result.over_limit and len(result.content) > 100 * 1024
    (page,) = result.pages
    assert page.dpi == scan_pdf.LEGIBILITY.min_dpi and page.quality == scan_pdf.LEGIBILITY.min_quality
    assert result.summary()["over_limit"] is True
