"""Child of bench/uploads.py: craft the costliest files the upload limits allow, and measure them.

    python -m bench._uploads_child craft DIR            # write the candidate files into DIR
    python -m bench._uploads_child one FILE COPIES OUT  # sanitise COPIES of FILE as one submission
    python -m bench._uploads_child burst FILE SUBMISSIONS OUT  # that many submissions of 5 at once

Each measurement runs in a fresh process, so its peak resident memory (VmHWM) is its own:
the process is what a gunicorn worker is while it checks uploads. CPU time is the
process's user + system time (every thread) spent in the measured part.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import struct
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import Any

# Crafted files: (file name, what it is). Each sits just inside every limit of refuge.intake.uploads.
SIDE_16 = 4_096  # 4,096² × 8 bytes = 128 MiB of 16-bit RGBA samples: MAX_IMAGE_DECODED_BYTES exactly
SIDE_RGBA = 5_792  # 33.5 megapixels × 4 bytes: the largest 8-bit colour picture under the budget
SIDE_GREY = 6_324  # 40.0 megapixels of grey: MAX_IMAGE_PIXELS
SIDE_PROGRESSIVE = 3_660  # 13.4 megapixels × (4 + 6) bytes: a progressive 4:4:4 JPEG at the budget
SIDE_WEBP = 2_364  # 5.6 megapixels × 24 bytes: a lossless WebP at the budget
CANDIDATES = {
    "png-rgba16-noise.png": "PNG, 16-bit RGBA, 16.8 MP (at the decoded-bytes limit), noisy rows repeated",
    "png-rgba8-noise.png": "PNG, 8-bit RGBA, 33.5 MP (at the limit), noisy rows repeated",
    "png-grey-40mp.png": "PNG, 8-bit grey, 40 MP (at the pixel limit), noisy rows repeated",
    "jpeg-444-33mp.jpg": "JPEG, baseline 4:4:4 quality 100, 33.5 MP (at the limit)",
    "jpeg-progressive-13mp.jpg": "JPEG, progressive 4:4:4 of tiled noise, 13.4 MP (at the limit)",
    "webp-lossless-6mp.webp": "WebP, lossless, 5.6 MP (at the limit)",
    "png-rgba16-40mp-refused.png": "PNG, 16-bit RGBA, 40 MP (the kind of file of issue #16.9: now refused)",
}


def _png(width: int, height: int, depth: int, colour: int, seed: int) -> bytes:
    """A PNG of one random row repeated with the Up filter: a few hundred KB that decode to the full size."""
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    row = random.Random(seed).randbytes(width * channels * depth // 8)
    compressor = zlib.compressobj(9)
    idat = [compressor.compress(b"\0" + row)]
    up = b"\2" + b"\0" * len(row)  # "same as the row above"
    idat += [compressor.compress(up) for _ in range(height - 1)]
    idat.append(compressor.flush())

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b"")


def _noise_picture(side: int, mode: str) -> Any:
    """A picture of tiled noise: costly to encode, yet small enough to fit under 10 MiB as a file."""
    from PIL import Image

    tile = Image.frombytes(mode, (256, 256), random.Random(1).randbytes(256 * 256 * len(mode)))
    picture = Image.new(mode, (side, side))
    for x in range(0, side, 256):
        for y in range(0, side, 256):
            picture.paste(tile, (x, y))
    return picture


def craft(directory: Path) -> None:
    from PIL import Image

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "png-rgba16-noise.png").write_bytes(_png(SIDE_16, SIDE_16, 16, 6, 1))
    (directory / "png-rgba8-noise.png").write_bytes(_png(SIDE_RGBA, SIDE_RGBA, 8, 6, 2))
    (directory / "png-grey-40mp.png").write_bytes(_png(SIDE_GREY, SIDE_GREY, 8, 0, 3))
    (directory / "png-rgba16-40mp-refused.png").write_bytes(_png(8_000, 4_999, 16, 6, 4))
    # JPEG noise at quality 100 would exceed 10 MiB: smooth colour is what fits at this size.
    smooth = Image.linear_gradient("L").resize((SIDE_RGBA, SIDE_RGBA)).convert("RGB")
    out = io.BytesIO()
    smooth.save(out, "JPEG", quality=100, subsampling=0)
    (directory / "jpeg-444-33mp.jpg").write_bytes(out.getvalue())
    out = io.BytesIO()
    _noise_picture(SIDE_PROGRESSIVE, "RGB").save(out, "JPEG", quality=40, subsampling=0, progressive=True)
    (directory / "jpeg-progressive-13mp.jpg").write_bytes(out.getvalue())
    out = io.BytesIO()
    _noise_picture(SIDE_WEBP, "RGB").save(out, "WEBP", lossless=True, quality=0, method=0)
    (directory / "webp-lossless-6mp.webp").write_bytes(out.getvalue())
    sizes = {name: (directory / name).stat().st_size for name in CANDIDATES}
    (directory / "sizes.json").write_text(json.dumps(sizes))


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "refuge.test_settings")
    import django

    django.setup()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _status(field: str) -> float:
    """A /proc/self/status reading in MiB."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1]) / 1024


def _submission(data: bytes, name: str, copies: int) -> str:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from refuge.core.errors import UserError
    from refuge.intake.uploads import sanitise_uploads

    files = [SimpleUploadedFile(name, data) for _ in range(copies)]
    try:
        sanitise_uploads(files)
    except UserError as error:
        return error.code
    return "accepted"


def one(path: Path, copies: int, output: Path) -> None:
    """Sanitise `copies` of the file as one submission (the request form's 5 files)."""
    _setup()
    data = path.read_bytes()
    before, cpu, started = _status("VmRSS"), _cpu(), time.monotonic()
    outcome = _submission(data, path.name, copies)
    result = {
        "outcome": outcome,
        "cpu": _cpu() - cpu,
        "wall": time.monotonic() - started,
        "rss_before": before,
        "peak": _status("VmHWM"),
    }
    output.write_text(json.dumps(result))


def burst(path: Path, submissions: int, output: Path) -> None:
    """`submissions` submissions of 5 copies at once, one thread each, as one worker with that many threads."""
    _setup()
    data = path.read_bytes()
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        outcome = _submission(data, path.name, 5)
        with lock:
            outcomes.append(outcome)

    before, cpu, started = _status("VmRSS"), _cpu(), time.monotonic()
    threads = [threading.Thread(target=submit) for _ in range(submissions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = {
        "outcomes": outcomes,
        "cpu": _cpu() - cpu,
        "wall": time.monotonic() - started,
        "rss_before": before,
        "peak": _status("VmHWM"),
    }
    output.write_text(json.dumps(result))


def main(argv: list[str]) -> None:
    command = argv[0]
    if command == "craft":
        craft(Path(argv[1]))
    elif command == "one":
        one(Path(argv[1]), int(argv[2]), Path(argv[3]))
    elif command == "burst":
        burst(Path(argv[1]), int(argv[2]), Path(argv[3]))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
