"""The ``forgetting`` experiment: the same as ``neuromem run forgetting``.

Usage: python experiments/forgetting.py [--quick] [--jobs N] [--out DIR] [--resume]
"""

import sys

from neuromem.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", "forgetting", *sys.argv[1:]]))
