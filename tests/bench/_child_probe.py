"""A stand-in for a benchmark's measuring child (tests/bench/test_child.py): says where and how it ran, or fails."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fail", action="store_true")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    data_dir = Path(os.environ["REFUGE_DATA_DIR"])
    if args.fail:
        (data_dir / "server.log").write_text("the server's last words\n")
        print("what the child printed")  # noqa: T201 - the runner shows it
        return 3
    seen = {
        "data_dir": str(data_dir),
        "settings": os.environ["DJANGO_SETTINGS_MODULE"],
        "database_url": os.environ.get("DATABASE_URL"),
        "output_inside": args.output.parent == data_dir,
    }
    args.output.write_text(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
