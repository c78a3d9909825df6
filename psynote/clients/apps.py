from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "psynote.clients"
    label = "clients"

    def ready(self) -> None:
        from psynote.audit import log
        from psynote.clients.emergency import audit_marker

        # Every event written under an emergency-access grant names the grant.
        log.add_marker(audit_marker)
