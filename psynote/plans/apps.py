from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "psynote.plans"
    label = "plans"
    verbose_name = "Treatment plans"
