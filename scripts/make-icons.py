#!/usr/bin/env python3
"""Draws the app icons into src-tauri/icons/ (standard library only).

A white ring ("O" for Odnowa) on a rounded green square, antialiased by
supersampling. Deterministic: running it again gives the same bytes.
Usage: python3 scripts/make-icons.py
"""

import os
import struct
import zlib

GREEN = (0x1F, 0x6F, 0x5C)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # per axis, for antialiasing


def coverage(x, y):
    """(background alpha, ring alpha) at (x, y) in the unit square."""
    # Rounded square, corner radius 0.22.
    r = 0.22
    cx = min(max(x, r), 1 - r)
    cy = min(max(y, r), 1 - r)
    inside_square = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    d2 = (x - 0.5) ** 2 + (y - 0.5) ** 2
    in_ring = 0.21 ** 2 <= d2 <= 0.33 ** 2
    return inside_square, inside_square and in_ring


def pixels(size):
    rows = []
    n = SAMPLES * SAMPLES
    for py in range(size):
        row = bytearray()
        for px in range(size):
            bg = ring = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    a, b = coverage(
                        (px + (sx + 0.5) / SAMPLES) / size,
                        (py + (sy + 0.5) / SAMPLES) / size,
                    )
                    bg += a
                    ring += b
            alpha = bg / n
            if bg == 0:
                row += bytes(4)
                continue
            mix = ring / bg
            rgb = [round(g + (w - g) * mix) for g, w in zip(GREEN, WHITE)]
            row += bytes(rgb + [round(alpha * 255)])
        rows.append(bytes(row))
    return rows


def png(size):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + row for row in pixels(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(images):
    """An ICO file holding PNG images (supported since Windows Vista)."""
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, data in images:
        dim = 0 if size >= 256 else size
        out += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(data for _, data in images)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    target = os.path.join(root, "src-tauri", "icons")
    os.makedirs(target, exist_ok=True)
    cache = {size: png(size) for size in (16, 32, 48, 128, 256, 512)}
    files = {
        "32x32.png": cache[32],
        "128x128.png": cache[128],
        "128x128@2x.png": cache[256],
        "icon.png": cache[512],
        "icon.ico": ico([(s, cache[s]) for s in (16, 32, 48, 256)]),
    }
    for name, data in files.items():
        with open(os.path.join(target, name), "wb") as f:
            f.write(data)
        print(f"wrote src-tauri/icons/{name} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
