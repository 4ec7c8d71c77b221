"""Create the staff roles as groups, and the common ISO 639-1 languages."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LANGUAGES = [
    ("ar", "Arabic"),
    ("bg", "Bulgarian"),
    ("cs", "Czech"),
    ("de", "German"),
    ("en", "English"),
    ("es", "Spanish"),
    ("fa", "Persian"),
    ("fr", "French"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("hu", "Hungarian"),
    ("it", "Italian"),
    ("ja", "Japanese"),
    ("ko", "Korean"),
    ("mn", "Mongolian"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
    ("pt", "Portuguese"),
    ("ro", "Romanian"),
    ("ru", "Russian"),
    ("sk", "Slovak"),
    ("sq", "Albanian"),
    ("sr", "Serbian"),
    ("sv", "Swedish"),
    ("tr", "Turkish"),
    ("uk", "Ukrainian"),
    ("vi", "Vietnamese"),
    ("zh", "Chinese"),
    ("el", "Greek"),
    ("fi", "Finnish"),
    ("hr", "Croatian"),
    ("sl", "Slovenian"),
    ("mk", "Macedonian"),
    ("lt", "Lithuanian"),
    ("lv", "Latvian"),
    ("et", "Estonian"),
    ("ka", "Georgian"),
    ("hy", "Armenian"),
    ("az", "Azerbaijani"),
    ("kk", "Kazakh"),
    ("ur", "Urdu"),
    ("id", "Indonesian"),
    ("th", "Thai"),
    ("km", "Khmer"),
    ("lo", "Lao"),
    ("my", "Burmese"),
    ("sw", "Swahili"),
    ("am", "Amharic"),
    ("da", "Danish"),
    ("no", "Norwegian"),
]


def create_roles(apps, schema_editor):
    from accessions.catalogue.roles import ROLES

    # Permissions are normally made after migrations; make them now so groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="accessions", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Role {name} names unknown permissions: {sorted(missing)}")
        group.permissions.set(permissions)


def create_languages(apps, schema_editor):
    Language = apps.get_model("accessions", "Language")
    for code, name in LANGUAGES:
        Language.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, migrations.RunPython.noop),
        migrations.RunPython(create_languages, migrations.RunPython.noop),
    ]
