"""Run Zencode contracts in the Zenroom VM that the ``zenroom`` wheel (pinned to 3.17.1) carries.

Zencode is how people read the contracts of the network (key generation, signing, verification,
membership approval), so the contracts live as plain ``.zen`` files in ``contracts/`` and this
module only runs them: a script, optional ``keys`` and ``data`` JSON in, parsed JSON out.

Why not just ``zenroom.zencode_exec``: in 3.17.1 that function throws away the VM's exit code, so
failure can only be guessed from empty output and ``[!]`` log lines; and it gives the VM a fixed
64 KiB log buffer. When a contract fails, Zenroom dumps every input into that log (two hex digits
per byte), and a failing call with more than about 32 KB of input overflows it and kills the whole
Python process (SIGSEGV or SIGABRT). We therefore call the same library's
``zencode_exec_tobuf`` ourselves, through our own ctypes handle to the wheel's shared object, with
buffers sized to the input, and read the real exit code (0 ok, 2 execution failed, 3 parse failed).

Every call starts a fresh VM: about 6.5-7 ms for keygen, sign or verify alike (VM start-up is
~6.3 ms of it), against ~0.05 ms for a PyNaCl verify. Fine for contracts people run, far too slow
for the ingest hot path, where PyNaCl verifies.
"""

from __future__ import annotations

import ctypes
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from zenroom._config import LIBZENROOM_LOC

from reflow.errors import ReflowError

ZENROOM_VERSION = "3.17.1"

# debug=1 keeps errors and warnings in the log buffer but stops the VM from writing its banner
# ("Release version ...", "ECDH curve is ...") straight to the process's stderr on every call.
DEFAULT_CONF = "debug=1"

_MIN_STDOUT = 2 * 1024 * 1024
_MIN_STDERR = 64 * 1024

_lib = ctypes.CDLL(str(LIBZENROOM_LOC))  # our own handle: argtypes below do not touch zenroom's
_exec = _lib.zencode_exec_tobuf
_exec.argtypes = [
    ctypes.c_char_p,  # script
    ctypes.c_char_p,  # conf
    ctypes.c_char_p,  # keys (JSON)
    ctypes.c_char_p,  # data (JSON)
    ctypes.c_void_p,  # stdout buffer
    ctypes.c_size_t,
    ctypes.c_void_p,  # stderr buffer
    ctypes.c_size_t,
]
_exec.restype = ctypes.c_int

# One VM at a time: Zenroom's C side keeps process-wide state (its log and print handlers), and
# it is never on a path where the serialisation would matter.
_lock = threading.Lock()

_EXIT_MEANING = {1: "failed", 2: "execution failed", 3: "parse failed", 4: "initialisation failed"}
_NOISE = {"ERROR:", "Execution aborted", "Execution aborted with errors."}


class ZencodeError(ReflowError):
    """A Zencode contract failed; ``message`` is Zenroom's own reason, ``logs`` its full log."""

    code = "ZENCODE_FAILED"

    def __init__(
        self,
        message: str,
        *,
        exit_code: int,
        logs: str,
        field: str | None = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message, field=field, rule=rule)
        self.exit_code = exit_code
        self.logs = logs


@dataclass(frozen=True)
class ZencodeRun:
    """What one VM run left behind: exit code, stdout text and the log (Zenroom's stderr)."""

    exit_code: int
    output: str
    logs: str


def execute(
    script: str,
    *,
    keys: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    conf: str = DEFAULT_CONF,
) -> ZencodeRun:
    """Run ``script`` once and return the raw result, failure or not (for diagnostics)."""
    keys_b = _json_arg(keys)
    data_b = _json_arg(data)
    script_b = script.encode("utf-8")
    if not script_b.strip() or b"\x00" in script_b:
        raise ZencodeError(
            "a Zencode script must be non-empty text without NUL",
            exit_code=-1,
            logs="",
            field="script",
        )
    size = len(script_b) + len(keys_b or b"") + len(data_b or b"")
    out_len = _MIN_STDOUT + 2 * size
    err_len = _MIN_STDERR + 4 * size  # the failure dump writes every input byte as two hex digits
    out = ctypes.create_string_buffer(out_len)
    err = ctypes.create_string_buffer(err_len)
    with _lock:
        rc = _exec(script_b, conf.encode("ascii"), keys_b, data_b, out, out_len, err, err_len)
    return ZencodeRun(
        exit_code=int(rc),
        output=out.value.decode("utf-8", "replace").strip(),
        logs=err.value.decode("utf-8", "replace").strip(),
    )


def run(
    script: str,
    *,
    keys: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    conf: str = DEFAULT_CONF,
) -> dict[str, Any]:
    """Run ``script`` and return its printed JSON object; raise ZencodeError if Zenroom fails."""
    result = execute(script, keys=keys, data=data, conf=conf)
    if result.exit_code != 0:
        raise ZencodeError(
            failure_message(result),
            exit_code=result.exit_code,
            logs=result.logs,
            rule="zencode",
        )
    if not result.output:
        return {}
    try:
        parsed = json.loads(result.output)
    except json.JSONDecodeError as exc:
        raise ZencodeError(
            f"Zenroom printed something that is not JSON: {result.output[:200]!r}",
            exit_code=0,
            logs=result.logs,
            rule="zencode",
        ) from exc
    if not isinstance(parsed, dict):
        raise ZencodeError(
            "Zenroom printed JSON that is not an object", exit_code=0, logs=result.logs
        )
    return parsed


def run_contract(
    name: str,
    *,
    keys: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run one of the packaged contracts (``contracts/<name>.zen``)."""
    return run(contract(name), keys=keys, data=data)


@cache
def contract(name: str) -> str:
    """The text of ``contracts/<name>.zen``, read once from the package data."""
    path = resources.files("reflow.identity").joinpath("contracts", f"{name}.zen")
    if not name.isidentifier() or not path.is_file():
        raise ReflowError(f"no Zencode contract named {name!r}", field="contract")
    return path.read_text(encoding="utf-8")


def failure_message(result: ZencodeRun) -> str:
    """Zenroom's own words for a failure: its reason lines, then the statement that failed.

    A failing run logs ``[W]  [!] <reason>`` (the cause, e.g. "... is not authentic") and then
    ``[!]  EXEC: ... <statement>`` / ``[!]  PARSE: ...``; the rest is a heap dump and banners.
    """
    reasons: list[str] = []
    warnings: list[str] = []
    for raw in result.logs.splitlines():
        line = raw.strip()
        if line.startswith("[W]") and "[!]" in line:
            text = line.split("[!]", 1)[1].strip()
        elif line.startswith("[!]"):
            text = line[3:].strip()
        else:
            if line.startswith("[W]"):
                warnings.append(line[3:].strip())
            continue
        if text and text not in _NOISE and text not in reasons:
            reasons.append(text)
    if not reasons:  # e.g. "Zencode text too short to parse" is only a warning
        reasons = [w for w in warnings if w[:1].isalpha() and "version check" not in w]
    meaning = _EXIT_MEANING.get(result.exit_code, f"exit code {result.exit_code}")
    if not reasons:
        return f"Zenroom {meaning}"
    return f"Zenroom {meaning}: " + "; ".join(reasons)


def _json_arg(value: Mapping[str, Any] | None) -> bytes | None:
    if value is None:
        return None
    # ASCII-only JSON: every non-ASCII character and control character travels as a \u escape,
    # so no raw NUL byte can cut the C string short.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")
