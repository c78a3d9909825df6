from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "psynote.notes"
    label = "notes"

    def ready(self) -> None:
        # The author's psychotherapy-note key follows their sign-ins and passwords (ADR 0009).
        from django.contrib.auth.signals import user_logged_in

        from psynote.accounts.signals import password_set
        from psynote.notes import psychotherapy_keys

        user_logged_in.connect(psychotherapy_keys.on_signed_in,
                               dispatch_uid="psychotherapy_key_sign_in")
        password_set.connect(psychotherapy_keys.on_password_set,
                             dispatch_uid="psychotherapy_key_password_set")
