from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "psynote.records"
    label = "records"
    verbose_name = "Client rights and retention"
