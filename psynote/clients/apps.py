from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "psynote.clients"
    label = "clients"
