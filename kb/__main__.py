import sys

from core.cli import run
from kb.cli import main

sys.exit(run(main))
