from django.apps import AppConfig


class AccessionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accessions"
    verbose_name = "Archive catalogue"
