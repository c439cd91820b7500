"""Media the tests generate instead of downloading (a PNG, a WAV, a PDF), and proof that they
are what they claim to be (no I/O). tests/integration/test_langchain_media.py sends them
through every block dialect.
"""

from __future__ import annotations

import io
import struct
import wave
import zlib


def png(width: int = 8, height: int = 8) -> bytes:
    """A small red-and-blue striped PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(b"\xff\x00\x00" if x % 2 else b"\x00\x00\xff" for x in range(width))
        for _ in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def wav(seconds: float = 0.1, rate: int = 8000) -> bytes:
    """A short 440 Hz square wave, 8-bit mono."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        period = rate // 440
        out.writeframes(
            bytes(200 if (i // (period // 2)) % 2 else 56 for i in range(int(rate * seconds)))
        )
    return buffer.getvalue()


def pdf(title: str = "Generated Test Document") -> bytes:
    """A one-page PDF whose only text is `title`."""
    stream = f"BT /F1 18 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_generated_media_are_valid() -> None:
    assert png().startswith(b"\x89PNG") and wav()[:4] == b"RIFF" and pdf().startswith(b"%PDF")
    assert b"Generated Test Document" in pdf()
