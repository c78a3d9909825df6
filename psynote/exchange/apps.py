from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "psynote.exchange"
    label = "exchange"
    verbose_name = "Exchange"
