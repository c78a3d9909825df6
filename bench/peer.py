"""A peer comparison client: the same create + sign and open sequence over plain HTTP.

It uses nothing but the standard library's HTTP client (`urllib.request`), a base URL and a
token, so the same client, with the same timer, can be pointed at Psynote or (with a
sequence file describing that system's calls) at another system such as GNU Health in its
own installation. It prints the median and p95 of every step.

    python -m bench.peer --base-url http://127.0.0.1:8000 --token psn_... --client <uuid>
    python -m bench.peer ... --sequence classic      # the four-call sequence of before
    python -m bench.peer ... --sequence-file gnuhealth.json --header 'Cookie: ...'

A sequence is a list of steps. Each step is one HTTP call:

    {"name": "create", "method": "POST", "path": "/api/v1/clients/${client}/sessions",
     "body": {...}, "expect": 201, "save": {"note": "note.id"}}

`${name}` in the path or in any string of the body is replaced by a value given with
`--var name=value` or saved by an earlier step (`save` maps a name to a dotted path in
that step's JSON answer). `${today}` and `${n}` (the iteration) are always defined. Steps
whose name starts with `open` are the reads. Nothing here knows Psynote beyond the two
built-in sequences.

`python -m bench --api` (bench/peer_run.py) starts a Psynote server, makes a clinician,
a client and a token, runs this client and prints PASS/FAIL against the targets.
"""

import argparse
import json
import math
import statistics
import string
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

SOAP = {"subjective": "Fictional client reports a calmer week (${n}).",
        "objective": "Calm, engaged, on time.", "assessment": "Progressing.",
        "plan": "Continue weekly sessions."}
_SESSION = {"date": "${today}", "start_time": "10:00", "end_time": "10:50"}
_CONTENT = {"sections": SOAP, "diagnosis_codes": ["${diagnosis}"]}

# Two calls: the session with its draft, then signing with the final content; then one
# read of the signed note (docs/benchmarks.md, "The API in few round trips").
COMBINED: list[dict[str, Any]] = [
    {"name": "create (session + draft)", "method": "POST",
     "path": "/api/v1/sessions?return=minimal",
     "body": _SESSION | {"client_id": "${client}", "note": {"template": "soap"}},
     "expect": 201, "save": {"note": "note.id"}},
    {"name": "sign (with content)", "method": "POST",
     "path": "/api/v1/notes/${note}/sign?return=minimal",
     "body": {"content": _CONTENT}, "expect": 200},
    {"name": "open (GET note)", "method": "GET", "path": "/api/v1/notes/${note}", "expect": 200},
]
# The four calls every client needed before: session, draft, save, sign; then the read.
CLASSIC: list[dict[str, Any]] = [
    {"name": "create session", "method": "POST", "path": "/api/v1/clients/${client}/sessions",
     "body": _SESSION, "expect": 201, "save": {"session": "id"}},
    {"name": "start note", "method": "POST", "path": "/api/v1/sessions/${session}/notes",
     "body": {"template": "soap"}, "expect": 201, "save": {"note": "id"}},
    {"name": "save draft", "method": "PATCH", "path": "/api/v1/notes/${note}",
     "body": _CONTENT, "expect": 200},
    {"name": "sign", "method": "POST", "path": "/api/v1/notes/${note}/sign", "body": {},
     "expect": 200},
    {"name": "open (GET note)", "method": "GET", "path": "/api/v1/notes/${note}", "expect": 200},
]
SEQUENCES = {"combined": COMBINED, "classic": CLASSIC}


class StepFailed(Exception):
    pass


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return string.Template(value).substitute(names)
    if isinstance(value, dict):
        return {key: _fill(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    return value


def _dig(answer: Any, dotted: str) -> str:
    for part in dotted.split("."):
        answer = answer[int(part)] if isinstance(answer, list) else answer[part]
    return str(answer)


def call(base_url: str, headers: dict[str, str], method: str, path: str,
         body: Any = None, timeout: float = 60) -> tuple[int, Any]:
    """One request on a new connection (as a sync gunicorn worker closes each one)."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError("the base URL must be http:// or https://")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        base_url.rstrip("/") + path, data=data, method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode(errors="replace")


def run(base_url: str, headers: dict[str, str], steps: list[dict[str, Any]],
        variables: dict[str, str], n: int, warmup: int = 5,
        meter: Callable[[], float] | None = None,
        cpu: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    """Run the sequence `warmup + n` times; the seconds of each step of the timed runs.
    With `meter` (a reading of the server's CPU seconds, when it runs on this machine),
    `cpu` receives each timed step's difference of readings."""
    timings: dict[str, list[float]] = {step["name"]: [] for step in steps}
    clock = time.perf_counter
    for iteration in range(warmup + n):
        names = {"today": (date.today() - timedelta(days=1)).isoformat(),
                 "n": str(iteration), **variables}
        for step in steps:
            path = _fill(step["path"], names)
            body = _fill(step.get("body"), names)
            before = meter() if meter is not None else 0.0
            started = clock()
            status, answer = call(base_url, headers, step["method"], path, body)
            elapsed = clock() - started
            used = meter() - before if meter is not None else 0.0
            if status != step.get("expect", 200):
                raise StepFailed(f"{step['name']}: {step['method']} {path} answered "
                                 f"{status}: {str(answer)[:300]}")
            for name, dotted in step.get("save", {}).items():
                names[name] = _dig(answer, dotted)
            if iteration >= warmup:
                timings[step["name"]].append(elapsed)
                if cpu is not None and meter is not None:
                    cpu.setdefault(step["name"], []).append(used)
    return timings


def percentile(seconds: list[float], share: float) -> float:
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] * 1000


def summary(timings: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Milliseconds per step: median and p95; `writes (sum of medians)` for the writes."""
    figures = {name: {"n": len(s), "median_ms": statistics.median(s) * 1000,
                      "p95_ms": percentile(s, 0.95)} for name, s in timings.items() if s}
    writes = [f for name, f in figures.items() if not name.startswith("open")]
    if writes:
        figures["writes (sum of medians)"] = {
            "n": len(writes), "median_ms": sum(f["median_ms"] for f in writes),
            "p95_ms": sum(f["p95_ms"] for f in writes)}
    return figures


def report(figures: dict[str, dict[str, float]]) -> str:
    lines = [f"  {'step':<28}{'n':>5}{'median ms':>11}{'p95 ms':>9}"]
    for name, f in figures.items():
        lines.append(f"  {name:<28}{f['n']:>5.0f}{f['median_ms']:>11.2f}{f['p95_ms']:>9.2f}")
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", default="", help="sent as Authorization: Bearer <token>")
    parser.add_argument("--header", action="append", default=[],
                        help="extra header 'Name: value' (repeatable), e.g. another "
                        "system's session cookie")
    parser.add_argument("--client", default="", help="Psynote: the client's id (uuid)")
    parser.add_argument("--diagnosis", default="F41.1",
                        help="a diagnosis code on that client's chart (default F41.1)")
    parser.add_argument("--var", action="append", default=[], help="name=value for ${name}")
    parser.add_argument("--sequence", choices=sorted(SEQUENCES), default="combined")
    parser.add_argument("--sequence-file", default="",
                        help="JSON list of steps (see above) instead of a built-in sequence")
    parser.add_argument("-n", type=int, default=50, help="timed sequences (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed sequences first")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    for header in args.header:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()
    variables = {"client": args.client, "diagnosis": args.diagnosis}
    variables |= dict(item.split("=", 1) for item in args.var)
    if args.sequence_file:
        with open(args.sequence_file, encoding="utf-8") as file:
            steps = json.load(file)
    else:
        steps = SEQUENCES[args.sequence]
    try:
        timings = run(args.base_url, headers, steps, variables, args.n, args.warmup)
    except (StepFailed, OSError) as failed:  # OSError: no server there, a timeout
        print(f"FAILED: {failed}", file=sys.stderr)
        return 1
    figures = summary(timings)
    print(json.dumps(figures, indent=2) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
