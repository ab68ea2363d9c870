"""The per-case size search (`scans.pdf.fit_case`): what it stores, whatever order it tries settings in.

The search skips work whose answer is known (a copy that fits, a case that cannot fit even at the
floor, a small upload that fits at the top quality); these tests hold it to what is stored: within
the budget, never below the legibility rule, the best quality that fits, and copies byte for byte.
"""

import io
import random

import pikepdf
import pytest
from PIL import Image, ImageChops, ImageStat

from config.demo import demo_scan_pdf
from scans import pdf as scan_pdf
from tests import scan_samples as samples

RULE = scan_pdf.LEGIBILITY


def clean_case(content: bytes) -> scan_pdf.CleanScan:
    return scan_pdf.scan_clean(content, max_pages=20, budget_kb=100, limit_per="case")


def stored_jpegs(content: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(content)) as pdf:
        return [bytes(next(iter(page.obj.Resources.XObject.values())).read_raw_bytes()) for page in pdf.pages]


def tiled_noise_png(amplitude: int) -> tuple[bytes, Image.Image]:
    """An A4 page at 100 dpi of a 32-pixel noise tile: a few KB as PNG, hundreds of KB as JPEG."""
    rng = random.Random(3)
    tile = Image.new("L", (32, 32))
    tile.putdata([128 + rng.randint(-amplitude, amplitude) for _ in range(32 * 32)])
    page = Image.new("L", (827, 1169))
    for x in range(0, page.width, 32):
        for y in range(0, page.height, 32):
            page.paste(tile, (x, y))
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", dpi=(100, 100))
    return buffer.getvalue(), page


def test_pages_that_already_fit_the_case_limit_together_are_stored_byte_for_byte():
    # Given two scanned pages whose JPEGs together are within the case's 100 KB
    pages = [
        samples.jpeg_bytes(
            samples.page_image(dpi=110, noise=2, stamp=False, seed=seed).convert("L"), quality=25, dpi=110
        )
        for seed in (1, 2)
    ]
    assert sum(map(len, pages)) < 90 * 1024  # the premise: both pages fit 100 KB as they are

    # When they are uploaded as one case
    result = clean_case(samples.pdf_of_jpegs(pages))

    # Then each is stored as it was uploaded, not encoded again
    assert [page.copied for page in result.pages] == [True, True]
    assert [page.quality for page in result.pages] == [None, None]
    assert stored_jpegs(result.content) == pages
    assert len(result.content) <= 100 * 1024 and not result.over_limit


def test_the_campaign_scan_is_stored_gray_at_the_top_quality_and_shows_the_same_page():
    # The small one-page scan the load campaign uploads: a grayscale image (PNG data) in a PDF
    content = demo_scan_pdf(title="Bench campaign", lines=["Giấy khai sinh", "Bản quét thử nghiệm"])
    with pikepdf.open(io.BytesIO(content)) as pdf:
        (image,) = pdf.pages[0].obj.Resources.XObject.values()
        original = pikepdf.PdfImage(image).as_pil_image()

    # When it is uploaded
    result = clean_case(content)

    # Then it is stored at the best quality the rule knows, in gray, showing what the upload shows
    (page,) = result.pages
    assert page.quality == RULE.max_quality and page.dpi >= RULE.min_dpi and not page.colour
    assert len(result.content) <= 100 * 1024 and not result.over_limit
    (jpeg,) = stored_jpegs(result.content)
    stored = Image.open(io.BytesIO(jpeg))
    assert stored.mode == "L" and stored.size == original.size
    assert ImageStat.Stat(ImageChops.difference(original.convert("L"), stored)).rms[0] < 6


def test_a_small_upload_whose_top_quality_is_too_large_gets_the_best_quality_that_fits():
    # Given a page of a few KB whose JPEG at the top quality is far over the case's budget
    png, page = tiled_noise_png(20)
    budget = 100 * 1024 - 2 * scan_pdf.PAGE_OVERHEAD
    assert len(png) < 10 * 1024 and len(scan_pdf._jpeg(page, RULE.max_quality)) > budget  # the premise

    # When it is uploaded
    result = clean_case(png)

    # Then it fits, at a quality within the rule, the highest that fits
    (stored,) = result.pages
    assert not result.over_limit and len(result.content) <= 100 * 1024
    assert stored.dpi == 100 and RULE.min_quality <= stored.quality < RULE.max_quality
    # The best that fits: the next quality up would not have.
    assert len(scan_pdf._jpeg(page, stored.quality + 5)) > budget


def test_a_small_upload_that_cannot_fit_even_at_the_floor_is_stored_at_the_floor_and_flagged():
    # Given a small upload that no legible JPEG brings within the budget
    png, _page = tiled_noise_png(40)

    result = clean_case(png)

    # Then it is stored at the floor of the rule, and flagged
    (stored,) = result.pages
    assert result.over_limit
    assert (stored.dpi, stored.quality) == (RULE.min_dpi, RULE.min_quality)


def test_every_page_of_a_case_that_cannot_fit_is_stored_at_the_floor_never_below():
    # Given three pages so noisy that even at the floor they take more than 100 KB together
    noisy = [samples.page_image(dpi=150, noise=90, seed=seed) for seed in (1, 2, 3)]
    content = samples.pdf_of_jpegs([samples.jpeg_bytes(image, quality=90, dpi=150) for image in noisy])

    result = clean_case(content)

    # Then all three are stored at the floor (grayscale, 100 dpi, quality 40): none below, none left out
    assert result.over_limit and result.page_count == 3
    for page, jpeg in zip(result.pages, stored_jpegs(result.content), strict=True):
        assert (page.dpi, page.quality, page.colour) == (RULE.min_dpi, RULE.min_quality, False)
        assert Image.open(io.BytesIO(jpeg)).width >= 827  # A4 at 100 dpi


def test_a_gray_scan_with_colour_drawn_over_it_keeps_its_colour():
    # One grayscale image, and a large red box drawn on the page after it (a stamp added digitally)
    content = demo_scan_pdf(title="Bench campaign", lines=["Giấy khai sinh"])
    with pikepdf.open(io.BytesIO(content)) as pdf:
        page = pdf.pages[0]
        page.contents_add(pdf.make_stream(b"q 1 0 0 rg 100 100 300 300 re f Q"), prepend=False)
        buffer = io.BytesIO()
        pdf.save(buffer)

    result = clean_case(buffer.getvalue())

    # Then the page is stored in colour and the box stays red
    assert result.pages[0].colour
    red = Image.open(io.BytesIO(stored_jpegs(result.content)[0])).convert("RGB")
    r, g, b = red.getpixel((red.width // 4, red.height - red.height // 4))
    assert r > 180 and g < 80 and b < 80


@pytest.mark.parametrize("top_first", [False, True])
def test_the_quality_search_finds_the_highest_quality_at_which_all_pages_fit(top_first):
    # Given two pages whose sizes grow with the quality, and every budget from none fitting to all
    qualities = list(range(40, 90, 5))

    def sizes(quality: int) -> list[int]:  # two pages, larger at a higher quality
        return [1000 + 100 * quality, 800 + 90 * quality]

    for budget in range(4000, 20_000, 250):
        tried: list[int] = []

        def within(quality: int, budget: int = budget, tried: list[int] = tried) -> list[bytes] | None:
            tried.append(quality)
            return [b"x" * size for size in sizes(quality)] if sum(sizes(quality)) <= budget else None

        found, failed = scan_pdf._best_common_quality(within, qualities, budget, top_first=top_first)

        # Then the answer is the highest quality that fits, found by bisection
        fitting = [q for q in qualities if sum(sizes(q)) <= budget]
        if not fitting:
            assert found is None
            continue
        assert found is not None
        assert found[0] == max(fitting) and [len(data) for data in found[1]] == sizes(max(fitting))
        assert failed is None or (failed > found[0] and sum(sizes(failed)) > budget)
        assert len(tried) <= 6  # a bisection, not every quality in turn
