from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "psynote.notes"
    label = "notes"

    def ready(self) -> None:
        # The author's psychotherapy-note key follows their sign-ins and passwords (ADR 0009).
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from psynote.accounts.models import Practice
        from psynote.accounts.signals import password_set
        from psynote.notes import psychotherapy_keys

        user_logged_in.connect(psychotherapy_keys.on_signed_in,
                               dispatch_uid="psychotherapy_key_sign_in")
        password_set.connect(psychotherapy_keys.on_password_set,
                             dispatch_uid="psychotherapy_key_password_set")
        # Every new practice starts with the built-in note templates (ADR 0015), however
        # it is made (`psynote init`, the demo, an import); fixtures (raw) bring their own.
        post_save.connect(_seed_templates, sender=Practice, dispatch_uid="seed_note_templates")


def _seed_templates(sender, instance, created, raw=False, **kwargs):  # type: ignore[no-untyped-def]
    if created and not raw:
        from psynote.notes.template_actions import seed_builtins

        seed_builtins(instance)
