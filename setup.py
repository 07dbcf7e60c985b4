"""Only the optional C helper lives here; everything else is declared in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # Batch Ed25519 verification with the GIL released (see the file's comment). Optional:
        # without a C compiler the ledger verifies record by record, correct but slower.
        Extension("reflow.ledger._sigbatch", ["reflow/ledger/_sigbatch.c"], optional=True),
    ]
)
