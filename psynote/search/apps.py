from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "psynote.search"
    label = "search"

    def ready(self) -> None:
        # The index follows every write of a note or addendum, inside the same transaction
        # (the actions save inside `transaction.atomic`), so notes need not know about it.
        from django.db.models.signals import post_save

        from psynote.notes.models import Addendum, ProgressNote
        from psynote.search import index
        from psynote.visits.models import Session

        post_save.connect(index.on_note_saved, sender=ProgressNote,
                          dispatch_uid="search_index_note")
        post_save.connect(index.on_addendum_saved, sender=Addendum,
                          dispatch_uid="search_index_addendum")
        post_save.connect(index.on_session_saved, sender=Session,
                          dispatch_uid="search_index_session")
