from django.apps import AppConfig


class MeasuresConfig(AppConfig):
    name = "psynote.measures"
    label = "measures"
    verbose_name = "Measures"

    def ready(self) -> None:
        # Load and check every instrument file at start-up, so a broken file stops the
        # server with a message naming it instead of failing at a client's first score.
        from psynote.measures import library

        library.load_all()
