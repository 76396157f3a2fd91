"""Lossless JSON encoding of fuzzdiff's values.

Bytes are written as a plain JSON string when they are valid UTF-8 (the string
then stands for its UTF-8 encoding), and as ``{"base64": "..."}`` otherwise.
The two forms cannot be confused, so decoding is exact: ``decode(encode(x)) == x``
for every value. File names are JSON object keys, which must be strings: a
name that is not UTF-8, or that starts with ``base64:``, is written as
``"base64:"`` and its base64 (``_name_key``), so names decode exactly too. This
is the encoding of the ``--json`` contract and of case files on disk.
"""

from __future__ import annotations

import base64
from typing import Any

from fuzzdiff.core.model import Case, Divergence, Fingerprint, Outcome, Termination

JSONValue = Any


class DecodeError(ValueError):
    """A JSON document does not have the shape of the value it should hold."""


def encode_bytes(data: bytes) -> JSONValue:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def decode_bytes(value: JSONValue, where: str = "value") -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, dict) and set(value) == {"base64"} and isinstance(value["base64"], str):
        try:
            return base64.b64decode(value["base64"], validate=True)
        except ValueError as exc:
            raise DecodeError(f"{where}: invalid base64 ({exc})") from exc
    raise DecodeError(f"{where}: expected a string or {{'base64': ...}}, got {type(value).__name__}")


def _obj(value: JSONValue, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DecodeError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def encode_case(case: Case) -> dict[str, JSONValue]:
    return {
        "argv": [encode_bytes(a) for a in case.argv],
        "stdin": encode_bytes(case.stdin),
        "files": {_name_key(n): encode_bytes(c) for n, c in case.files},
        "env": dict(case.env),
    }


#: Marks a file name written as base64 in a JSON object key (keys must be strings).
NAME_ESCAPE = "base64:"


def _name_key(name: bytes) -> str:
    """A file name as a JSON object key: the name itself when it is UTF-8 and does
    not start with ``NAME_ESCAPE``, else the escape and the name in base64. A
    literal name such as ``base64:abc`` is escaped too, so every key starting
    with the escape is base64 and no two names share a key. Every other name is
    its own key, so a file that holds no such name decodes the same in any version."""
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and not text.startswith(NAME_ESCAPE):
        return text
    return NAME_ESCAPE + base64.b64encode(name).decode("ascii")


def _name_from_key(key: str, where: str) -> bytes:
    if not key.startswith(NAME_ESCAPE):
        return key.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(key[len(NAME_ESCAPE) :], validate=True)
    except ValueError as exc:
        raise DecodeError(
            f"{where}: file name key {key!r} starts with {NAME_ESCAPE!r} but is not base64 ({exc})"
        ) from exc


def decode_case(value: JSONValue, where: str = "case") -> Case:
    obj = _obj(value, where)
    argv = obj.get("argv", [])
    if not isinstance(argv, list):
        raise DecodeError(f"{where}.argv: expected a list")
    files = _obj(obj.get("files", {}), f"{where}.files")
    env = _obj(obj.get("env", {}), f"{where}.env")
    for k, v in env.items():
        if not isinstance(v, str):
            raise DecodeError(f"{where}.env.{k}: expected a string")
    args = tuple(decode_bytes(a, f"{where}.argv[{i}]") for i, a in enumerate(argv))
    for i, a in enumerate(args):
        if b"\x00" in a:
            raise DecodeError(f"{where}.argv[{i}]: contains a NUL byte, which no program can receive")
    return Case(
        argv=args,
        stdin=decode_bytes(obj.get("stdin", ""), f"{where}.stdin"),
        files=tuple(
            (_name_from_key(k, f"{where}.files"), decode_bytes(v, f"{where}.files[{k!r}]")) for k, v in files.items()
        ),
        env=tuple((str(k), v) for k, v in env.items()),
    )


def encode_outcome(outcome: Outcome) -> dict[str, JSONValue]:
    return {
        "termination": outcome.termination.value,
        "exit": outcome.exit_class(),
        "exit_code": outcome.exit_code,
        "signal": outcome.signal,
        "stdout": encode_bytes(outcome.stdout),
        "stderr": encode_bytes(outcome.stderr),
        "files": {_name_key(n): (None if c is None else encode_bytes(c)) for n, c in outcome.files},
        **({"attrs": {_name_key(n): a for n, a in outcome.attrs}} if outcome.attrs else {}),
        "cpu_seconds": outcome.cpu_seconds,
        "max_rss_kb": outcome.max_rss_kb,
        "wall_seconds": outcome.wall_seconds,
    }


def decode_outcome(value: JSONValue, where: str = "outcome") -> Outcome:
    obj = _obj(value, where)
    try:
        termination = Termination(obj["termination"])
    except (KeyError, ValueError) as exc:
        raise DecodeError(f"{where}.termination: missing or unknown") from exc
    files = _obj(obj.get("files", {}), f"{where}.files")
    attrs = _obj(obj.get("attrs", {}), f"{where}.attrs")
    for k, v in attrs.items():
        if not isinstance(v, str):
            raise DecodeError(f'{where}.attrs[{k!r}]: expected a string such as "mode 0755"')
    try:
        cpu = float(obj.get("cpu_seconds", 0.0))
        rss = int(obj.get("max_rss_kb", 0))
        wall = float(obj.get("wall_seconds", 0.0))
    except (TypeError, ValueError) as exc:
        raise DecodeError(f"{where}: resource figures must be numbers ({exc})") from exc
    return Outcome(
        termination=termination,
        exit_code=_opt_int(obj.get("exit_code"), f"{where}.exit_code"),
        signal=_opt_int(obj.get("signal"), f"{where}.signal"),
        stdout=decode_bytes(obj.get("stdout", ""), f"{where}.stdout"),
        stderr=decode_bytes(obj.get("stderr", ""), f"{where}.stderr"),
        files=tuple(
            sorted(
                (_name_from_key(k, f"{where}.files"), None if v is None else decode_bytes(v, f"{where}.files"))
                for k, v in files.items()
            )
        ),
        attrs=tuple(sorted((_name_from_key(k, f"{where}.attrs"), str(v)) for k, v in attrs.items())),
        cpu_seconds=cpu,
        max_rss_kb=rss,
        wall_seconds=wall,
    )


def _opt_int(value: JSONValue, where: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise DecodeError(f"{where}: expected an integer or null")


def encode_fingerprint(fp: Fingerprint) -> dict[str, JSONValue]:
    return {
        "channels": list(fp.channels),
        "reference_exit": fp.reference_exit,
        "candidate_exit": fp.candidate_exit,
        "text": str(fp),
    }


def decode_fingerprint(value: JSONValue, where: str = "fingerprint") -> Fingerprint:
    obj = _obj(value, where)
    try:
        return Fingerprint(
            channels=tuple(str(c) for c in obj["channels"]),
            reference_exit=str(obj["reference_exit"]),
            candidate_exit=str(obj["candidate_exit"]),
        )
    except KeyError as exc:
        raise DecodeError(f"{where}: missing {exc}") from exc


def encode_divergence(div: Divergence) -> dict[str, JSONValue]:
    out = encode_case(div.case)
    out.update(
        {
            "channels": list(div.channels),
            "fingerprint": encode_fingerprint(div.fingerprint),
            "reference": encode_outcome(div.reference),
            "candidate": encode_outcome(div.candidate),
        }
    )
    return out


def decode_divergence(value: JSONValue, where: str = "divergence") -> Divergence:
    obj = _obj(value, where)
    try:
        return Divergence(
            case=decode_case(obj, where),
            reference=decode_outcome(obj["reference"], f"{where}.reference"),
            candidate=decode_outcome(obj["candidate"], f"{where}.candidate"),
            channels=tuple(str(c) for c in obj["channels"]),
            fingerprint=decode_fingerprint(obj["fingerprint"], f"{where}.fingerprint"),
        )
    except KeyError as exc:
        raise DecodeError(f"{where}: missing {exc}") from exc
