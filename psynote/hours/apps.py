from django.apps import AppConfig


class HoursConfig(AppConfig):
    name = "psynote.hours"
    label = "hours"
