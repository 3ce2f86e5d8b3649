"""`python -m bench [--quick]`: see bench/run.py."""

import os
import sys

from bench.run import main

main()
# A process that used a Temporal client can abort at interpreter exit (sdk-python #300).
sys.stdout.flush()
os._exit(0)
