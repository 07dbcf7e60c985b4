"""The optional compiled parts; everything else is declared in pyproject.toml.

- ``reflow.ledger._sigbatch``: batch Ed25519 verification with the GIL released (see the file's
  comment). Optional: without a C compiler the ledger verifies record by record.
- With ``REFLOW_COMPILE=1`` the modules that judge a record (``COMPILED``) are also compiled
  with mypyc, from the same typed sources: the rules run about a third faster, which is what
  lets a node take records at half the rate libsodium verifies them (``reflow bench ingest``).
  ``./dev bench`` and production installs use it; an editable development install stays pure
  Python, so a change to a source file is what runs. ``./dev test`` runs the rules' and the
  ledger's tests against both builds.
"""

import os

from setuptools import Extension, setup

# The judging path, none of them patched by tests: a compiled module's functions are bound early.
COMPILED = [
    "reflow/federation/equivocation.py",
    "reflow/govern/policy.py",
    "reflow/govern/state.py",
    "reflow/identity/rotation.py",
    "reflow/ledger/canonical.py",
    "reflow/ledger/changes.py",
    "reflow/ledger/context.py",
    "reflow/ledger/judging.py",
    "reflow/ledger/receipts.py",
    "reflow/ledger/records.py",
    "reflow/ledger/vf_kinds.py",
    "reflow/market/fulfilment.py",
    "reflow/market/guard.py",
    "reflow/report/materials.py",
    "reflow/report/places.py",
    "reflow/store/bulk.py",
    "reflow/store/codec.py",
    "reflow/value/policies.py",
    "reflow/vf/containment.py",
    "reflow/vf/corrections.py",
    "reflow/vf/event.py",
    "reflow/vf/fixed.py",
    "reflow/vf/history.py",
    "reflow/vf/measure.py",
    "reflow/vf/pairing.py",
    "reflow/vf/rules.py",
    "reflow/vf/units.py",
    "reflow/vf/work.py",
]

extensions = [Extension("reflow.ledger._sigbatch", ["reflow/ledger/_sigbatch.c"], optional=True)]
if os.environ.get("REFLOW_COMPILE") == "1":
    from mypyc.build import mypycify

    extensions += mypycify(
        ["--follow-imports=silent", "--ignore-missing-imports", *COMPILED], opt_level="3"
    )

setup(ext_modules=extensions)
