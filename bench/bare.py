"""The bare Django view: what any Django page costs on this server, measured beside
opening a note in the same run.

`bare_note` does one primary-key lookup of the same note row and renders a small template,
behind the same middleware (session, user, CSRF, security headers) and served by the same
gunicorn workers as the note page; only its own work differs. It is served only by the
bench, through `bench.bare_settings` (this module is that configuration's URLconf), never
by the product's URLs.
"""

from dataclasses import asdict
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from bench import measure
from bench.measure import Latency

SETTINGS = "bench.bare_settings"
PREFIX = "/bench-bare/"
_PAGE = engines["django"].from_string(
    "<!doctype html><html lang=en><title>Note</title><main><h1>Note {{ note.pk }}</h1>"
    "<p>Signed {{ note.signed_at|date:'Y-m-d H:i' }} by {{ note.signer_name }}</p></main>"
)


def bare_note(request: HttpRequest, note_id: Any) -> HttpResponse:
    from psynote.notes.models import ProgressNote

    try:
        note = ProgressNote.objects.get(pk=note_id)
    except ProgressNote.DoesNotExist:
        raise Http404("Not found") from None
    return HttpResponse(_PAGE.render({"note": note}, request))


urlpatterns = [
    path(f"{PREFIX.strip('/')}/<uuid:note_id>/", bare_note),
    path("", include("psynote.urls")),
]


def serving(env: dict[str, str]) -> dict[str, str]:
    """The server environment that serves the bare view beside the product."""
    return env | {"DJANGO_SETTINGS_MODULE": SETTINGS}


def time_bare(server: Any, browser: Any, note_ids: list[Any], failures: list[str]
              ) -> dict[str, Any]:
    """GET the bare view for each note, through the already logged-in browser."""

    def fetch(note_id: Any) -> None:
        status, _, _ = browser.request("GET", f"{PREFIX}{note_id}/")
        if status != 200:
            failures.append(f"bare view GET {note_id}: status {status}")

    for note_id in note_ids[:10]:
        fetch(note_id)
    before = server.cpu_seconds()
    samples = measure.timed_each(note_ids, fetch)
    cpu_ms = (server.cpu_seconds() - before) * 1000 / len(note_ids)
    return {"latency": asdict(Latency.of(samples)), "server_cpu_ms": cpu_ms,
            "per_second": len(samples) / sum(samples)}


def report_lines(opened: dict[str, Any]) -> list[str]:
    """The bare view's line, and note opening as a share of its throughput: requests per
    second one client gets one after the other, and per CPU second the server spends."""
    bare = opened.get("bare_view")
    if not bare:
        return []
    theirs = bare["latency"]
    ours_per_s = opened.get("per_second", 0.0)
    share_wall = ours_per_s / bare["per_second"] if bare["per_second"] else 0.0
    share_cpu = bare["server_cpu_ms"] / opened["server_cpu_ms"] if opened["server_cpu_ms"] else 0.0
    verdict = "PASS" if share_cpu >= 0.30 else "MISS"
    return [
        f"| bare Django view (one pk lookup, small template; same server), n={theirs['n']} | "
        f"median {theirs['median_ms']:.1f} ms, p95 {theirs['p95_ms']:.1f} ms (server CPU "
        f"{bare['server_cpu_ms']:.1f} ms/request), {bare['per_second']:.0f} req/s | | | |",
        f"| open a note, throughput as a share of the bare view | {ours_per_s:.0f} req/s "
        f"vs {bare['per_second']:.0f} req/s one after the other | | {share_wall:.0%} (wall), "
        f"{share_cpu:.0%} (per server CPU second) | ≥ 30%: {verdict} |",
    ]
