"""One signed progress note as a PDF, for the care team's own use (print, file, read
offline). It is labelled for internal use and is not a disclosure: sending the record to
anyone outside the practice still goes through the disclosure gate (`exchange.gate`),
which logs it for the accounting of disclosures. Audited as `note.pdf`, ids only.

Lives in chart because it composes notes with the record PDF renderer of exchange, which
the notes app may not import (docs/architecture.md).
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from psynote.audit import log
from psynote.clients.access import Need, get_client_for
from psynote.exchange import gate
from psynote.exchange import pdf as record_pdf
from psynote.notes import carry
from psynote.notes.access import get_note_for
from psynote.notes.models import ProgressNote

NOT_SIGNED = "Only a signed note downloads as a PDF; sign the draft first."


def note_html(note: ProgressNote, *, by: Any) -> str:
    """The one-note document before WeasyPrint prints it (kept testable on its own)."""
    addenda = list(note.addenda.all())
    for addendum in addenda:
        addendum.note = note  # body() opens with the client's key: no query per addendum
    described = {d.code: d.description for d in note.client.diagnoses.all()}
    # The same rendering of a note as in the record PDF a disclosure sends.
    view = record_pdf.note_view(note, addenda, described)
    carried = carry.carried_keys(note.content())
    return render_to_string("chart/note_pdf.html", {
        "v": view,
        "client": note.client,
        "practice": note.client.practice,
        "author": note.author,
        "carried": {s.label for s in note.template_def.sections if s.key in carried},
        "carried_from": carry.carried_from(note.content()),
        "generated_at": timezone.localtime(),
        "by": by,
    })


@login_required
@require_GET
def note_pdf(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = get_note_for(request.user, note_id)
    # A copy to keep is the care team's: a supervisor or an emergency-access reader reads
    # the note on screen (and may print the page) but takes no file away.
    get_client_for(request.user, note.client_id, Need.WRITE_CLINICAL)
    if not note.is_signed:
        messages.error(request, NOT_SIGNED)
        return redirect("note_detail", note_id=note.pk)
    html = note_html(note, by=request.user)
    try:
        document = record_pdf.html_to_pdf(html)
    except gate.Refused as error:
        messages.error(request, str(error))
        return redirect("note_detail", note_id=note.pk)
    log.record_by(request.user, "note.pdf", target_type="progress_note", target_id=note.pk,
                  client_id=note.client_id, detail={"content_hash": note.content_hash})
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="progress-note-{note.session.date:%Y-%m-%d}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response
