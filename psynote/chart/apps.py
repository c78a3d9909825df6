from django.apps import AppConfig


class ChartConfig(AppConfig):
    name = "psynote.chart"
    label = "chart"
