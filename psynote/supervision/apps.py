from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "psynote.supervision"
    label = "supervision"

    def ready(self) -> None:
        # A supervisee's note is held or flagged at the moment its author signs it, in the
        # signing transaction (the notes app knows nothing of supervision).
        from django.db.models.signals import post_save

        from psynote.supervision import hold

        post_save.connect(hold.on_note_saved, sender="notes.ProgressNote",
                          dispatch_uid="supervision_hold_on_sign")
