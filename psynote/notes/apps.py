from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "psynote.notes"
    label = "notes"
