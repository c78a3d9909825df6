from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "psynote.visits"
    label = "visits"
