"""Pages per second for scan derivatives, against a naive full-decode resize, in one run.

    .venv/bin/python bench/derivatives.py [--scans 6] [--repeat 2]

Makes 24-megapixel JPEG "scans" (6000 × 4000, paper texture and type), then times:
  thumbnails only: draft-mode decode + one thumbnail, against full decode + LANCZOS resize;
  full derivative sets (zoom 3000 px, web 1200 px, thumbnail 240 px, JPEG files written):
    ours (draft decode, each size made from the one before) against naive (full decode,
    every size resized from the full image);
  the same full sets for every page of the PDFs in ../shared/data/scans/, ours (rendered at
  the zoom size) against naive (rendered at 300 dpi, then resized).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
django.setup()

import pypdfium2  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from accessions.scans.derivatives import (  # noqa: E402
    PDF_MAX_DPI,
    THUMBNAIL_EDGE,
    WEB_EDGE,
    ZOOM_EDGE,
    derivative_images,
    render_image_pages,
    render_pdf_pages,
)

SHARED_SCANS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "scans"
SIZES = {"zoom": ZOOM_EDGE, "web": WEB_EDGE, "thumb": THUMBNAIL_EDGE}


def make_scan(path: Path, seed: int) -> None:
    """A 24 MP scan-like JPEG: grainy paper, lines of type, a stamp."""
    noise = Image.effect_noise((1500, 1000), 18 + seed).resize((6000, 4000))
    paper = Image.merge("RGB", [noise.point(lambda v, o=o: 200 + v // 8 - o) for o in (0, 4, 16)])
    draw = ImageDraw.Draw(paper)
    for line in range(60):
        y = 250 + line * 58
        draw.rectangle(
            (400, y, 400 + 4600 - (line * 37 + seed * 91) % 1400, y + 22), fill=(40, 40, 45)
        )
    draw.ellipse((4300, 300, 5300, 900), outline=(170, 30, 30), width=18)
    paper.filter(ImageFilter.GaussianBlur(0.6)).save(path, "JPEG", quality=90)


def save_jpeg(image: Image.Image, path: Path, quality: int) -> None:
    image.save(path, "JPEG", quality=quality, progressive=max(image.size) <= WEB_EDGE)


def ours_thumbnail(source: Path, out: Path) -> int:
    with Image.open(source) as image:
        image.draft("RGB", (THUMBNAIL_EDGE, THUMBNAIL_EDGE))
        image.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
        save_jpeg(image, out / "thumb.jpg", 85)
    return 1


def naive_thumbnail(source: Path, out: Path) -> int:
    with Image.open(source) as image:
        image.load()
        save_jpeg(_naive_resize(image, THUMBNAIL_EDGE), out / "thumb.jpg", 85)
    return 1


def _naive_resize(image: Image.Image, edge: int) -> Image.Image:
    scale = edge / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def ours_full_set(pages, out: Path) -> int:
    count = 0
    for number, zoom in pages:
        for size, image, quality in derivative_images(zoom):
            save_jpeg(image, out / f"{number}-{size}.jpg", quality)
        count += 1
    return count


def naive_full_set(images, out: Path) -> int:
    count = 0
    for number, full in images:
        for size, edge in SIZES.items():
            save_jpeg(_naive_resize(full, edge), out / f"{number}-{size}.jpg", 85)
        count += 1
    return count


def naive_jpeg_pages(source: Path):
    with Image.open(source) as image:
        image.load()
        yield 1, image.convert("RGB")


def naive_pdf_pages(source: Path):
    document = pypdfium2.PdfDocument(str(source))
    try:
        for index in range(len(document)):
            yield index + 1, document[index].render(scale=PDF_MAX_DPI / 72).to_pil().convert("RGB")
    finally:
        document.close()


def timed(label: str, work, repeat: int) -> float:
    best = None
    for _ in range(repeat):
        started = time.perf_counter()
        pages = work()
        elapsed = time.perf_counter() - started
        rate = pages / elapsed
        best = rate if best is None else max(best, rate)
    print(f"  {label:<46} {best:7.2f} pages/s")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=6, help="how many 24 MP JPEGs to make")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best counts")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        out = root / "out"
        out.mkdir()
        print(f"Making {options.scans} JPEG scans of 6000 × 4000 pixels (24 MP)…")
        scans = [root / f"scan-{index}.jpg" for index in range(options.scans)]
        for index, path in enumerate(scans):
            make_scan(path, index)
        megabytes = sum(path.stat().st_size for path in scans) / len(scans) / 1e6
        print(f"  average file size {megabytes:.1f} MB\n")

        print("24 MP JPEG, thumbnail only")
        ours = timed(
            "ours (draft-mode decode)",
            lambda: sum(ours_thumbnail(s, out) for s in scans),
            options.repeat,
        )
        naive = timed(
            "naive (full decode + resize)",
            lambda: sum(naive_thumbnail(s, out) for s in scans),
            options.repeat,
        )
        print(f"  ratio ours / naive: {ours / naive:.1f}×   target ≥ 12 thumbnails/s\n")

        print("24 MP JPEG, full derivative set (zoom 3000, web 1200, thumbnail 240)")
        ours = timed(
            "ours (draft decode, sizes chained)",
            lambda: sum(
                ours_full_set(render_image_pages(str(s), edge=ZOOM_EDGE), out) for s in scans
            ),
            options.repeat,
        )
        naive = timed(
            "naive (full decode, each size from full)",
            lambda: sum(naive_full_set(naive_jpeg_pages(s), out) for s in scans),
            options.repeat,
        )
        print(f"  ratio ours / naive: {ours / naive:.1f}×   target ≥ 3 sets/s\n")

        pdfs = sorted(SHARED_SCANS.glob("*/*.pdf"))
        pdfs = [path for path in pdfs if path.name != "invalid.pdf"]
        if not pdfs:
            print(f"No PDFs under {SHARED_SCANS}; PDF figures skipped.")
            return
        page_count = 0
        for path in pdfs:
            document = pypdfium2.PdfDocument(str(path))
            page_count += len(document)
            document.close()
        print(
            f"PDFs in shared/data/scans: {len(pdfs)} files, {page_count} pages, full derivative set"
        )
        ours = timed(
            "ours (rendered at the zoom size)",
            lambda: sum(ours_full_set(render_pdf_pages(str(p), edge=ZOOM_EDGE), out) for p in pdfs),
            options.repeat,
        )
        naive = timed(
            "naive (rendered at 300 dpi, then resized)",
            lambda: sum(naive_full_set(naive_pdf_pages(p), out) for p in pdfs),
            options.repeat,
        )
        print(f"  ratio ours / naive: {ours / naive:.1f}×")


if __name__ == "__main__":
    main()
