"""Encrypted online backups of a Psynote installation and their restore (ADR 0011): the
container format (`container`), the database snapshot (`snapshot`), what a backup holds
(`archive`) and putting it back into an empty data folder (`restore`). Not a Django app:
it has no models. The `psynote backup` and `restore` commands are in psynote/cli/backup.py.
"""
