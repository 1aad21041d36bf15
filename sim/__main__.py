"""``python -m sim``: see :mod:`sim.cli` (the process ends without tearing down: :mod:`sim.startup`)."""

from .cli import main
from .startup import end_without_teardown, finish

if __name__ == "__main__":
    end_without_teardown()   # before any command registers an atexit handler: it runs after them all
    finish(main())
