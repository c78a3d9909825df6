from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "psynote.groups"
    label = "groups"
