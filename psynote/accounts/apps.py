from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "psynote.accounts"
    label = "accounts"
