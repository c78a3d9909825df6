from django.apps import AppConfig


class OperatorsConfig(AppConfig):
    name = "psynote.operators"
    label = "operators"
