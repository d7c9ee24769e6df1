import sys

from core.cli import run
from demo.run import main

sys.exit(run(main))
