from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccessionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accessions"
    verbose_name = "Archive catalogue"

    def ready(self):
        from accessions.search import key_tally

        # After every migrate, so that an extension installed on the server later is
        # created by the next deployment's migrate.
        post_migrate.connect(key_tally.install, sender=self, dispatch_uid="archive_facets")
