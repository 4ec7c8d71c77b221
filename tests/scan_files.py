"""Scan files made on the fly for tests: good images and PDFs, and hostile ones."""

import io
import struct
import zipfile
import zlib

from PIL import Image, ImageDraw, PngImagePlugin

from accessions.scans.ingest import upload_from_bytes


def image_bytes(format="JPEG", size=(800, 1000), colour="white", text="Page", **save):
    image = Image.new("RGB", size, colour)
    ImageDraw.Draw(image).text((40, 40), text, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format, **save)
    return buffer.getvalue()


def multipage_tiff_bytes(pages=3, size=(600, 800)):
    images = [Image.new("L", size, 255 - 40 * number) for number in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "TIFF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def pdf_bytes(pages=2, size=(612, 792)):
    images = [Image.new("RGB", size, (255, 255 - 30 * number, 255)) for number in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=72)
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb_bytes(width=200_000, height=200_000) -> bytes:
    """A tiny PNG whose header declares billions of pixels."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _png_chunk(b"IEND", b"")
    )


def encrypted_pdf_bytes() -> bytes:
    """A PDF protected by a user password (standard security handler, revision 2)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <"
        + b"ab" * 32
        + b"> /U <"
        + b"cd" * 32
        + b"> >>",
    ]
    output = io.BytesIO()
    output.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(output.tell())
        output.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = output.tell()
    output.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        output.write(b"%010d 00000 n \n" % offset)
    output.write(
        b"trailer\n<< /Size %d /Root 1 0 R /Encrypt 4 0 R /ID [<%s> <%s>] >>\n"
        % (len(objects) + 1, b"01" * 16, b"01" * 16)
    )
    output.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return output.getvalue()


def upload(data: bytes, name: str):
    file = upload_from_bytes(data)
    file.name = name
    return file


def pdf_with_catalogue_entry(entry: bytes) -> bytes:
    """A one-page PDF whose catalogue carries an extra entry, e.g. an OpenAction."""
    return pdf_bytes(pages=1).replace(b"/Type /Catalog", b"/Type /Catalog " + entry, 1)


def pdf_with_object_stream(content: bytes) -> bytes:
    """A one-page PDF with a compressed object stream holding `content` before its xref."""
    compressed = zlib.compress(content)
    stream = (
        b"99 0 obj\n<< /Type /ObjStm /N 1 /First 5 /Filter /FlateDecode /Length %d >>\nstream\n"
        % len(compressed)
        + compressed
        + b"\nendstream\nendobj\n"
    )
    data = pdf_bytes(pages=1)
    position = data.rindex(b"xref")
    return data[:position] + stream + data[position:]


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "Not a scan.")
    return buffer.getvalue()


def png_with_text(text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return image_bytes("PNG", pnginfo=info)
