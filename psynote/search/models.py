from django.db import models

from psynote.notes.models import ProgressNote


class IndexEntry(models.Model):
    """One term of one progress note (its text and its addenda'), as a keyed blind token
    (docs/adr/0016-search-over-encrypted-notes.md): the first 64 bits of HMAC-SHA-256 of
    the normalised term under a key derived from the note's client's data key. Without
    that key, which only the master key unwraps, a token says nothing about its term, and
    the same term gives unrelated tokens for two clients."""

    id = models.BigAutoField(primary_key=True)
    token = models.BigIntegerField()
    # Dropped with a deleted draft; a destroyed record's entries go with its key
    # (`index.forget_client`). No database constraint: the index is derived data and must
    # not stand in the way of anything done to the notes outside the application (an
    # entry whose note is gone is never shown, and `psynote reindex` drops it).
    note = models.ForeignKey(ProgressNote, on_delete=models.CASCADE, related_name="+",
                             db_index=False, db_constraint=False)
    # The note's session date, which the sessions table holds in clear already: here so
    # that the newest matches and a date range come from the index alone.
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["note", "token"], name="search_entry_unique"),
        ]
        indexes = [models.Index(fields=["token", "note", "day"], name="search_token_note")]
