"""Shared fixtures for every test suite; helpers live in ``tests/fixtures/``."""

import os
import sys
from pathlib import Path

# One BLAS thread per process (before numpy loads): on 2 shared cores threaded BLAS made a
# 200-essay refit ~50x slower. Services started by tests inherit it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

# `tests.fixtures` must import however pytest was started (`pytest`, `python -m pytest`).
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fixtures.infra import (  # noqa: E402, F401  (re-exported as fixtures)
    database_url,
    fresh_database,
    fresh_nats_server,
    grpc_server,
    nats_cluster,
    nats_url,
    postgres_admin_url,
)
