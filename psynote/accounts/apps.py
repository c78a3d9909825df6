from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "psynote.accounts"
    label = "accounts"

    def ready(self) -> None:
        from psynote.accounts import sessions  # noqa: F401  (connects the login receivers)
