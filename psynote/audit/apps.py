from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "psynote.audit"
    label = "audit"
