"""Give the Rights manager group the rights-inquiry permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Frozen here rather than in accessions/roles.py: 0002 builds the groups from that module
# before these models exist.
RIGHTS_MANAGER_INQUIRY_PERMISSIONS = [
    "view_rightsinquiry",
    "change_rightsinquiry",
    "view_requester_details",
    "answer_rightsinquiry",
    "add_routingrule",
    "change_routingrule",
    "delete_routingrule",
    "view_routingrule",
    "view_outgoingemail",
    "change_outgoingemail",
    "view_inquiryevent",
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Rights manager")
    permissions = Permission.objects.filter(
        content_type__app_label="accessions", codename__in=RIGHTS_MANAGER_INQUIRY_PERMISSIONS
    )
    missing = set(RIGHTS_MANAGER_INQUIRY_PERMISSIONS) - {p.codename for p in permissions}
    if missing:
        raise RuntimeError(f"Unknown permissions: {sorted(missing)}")
    group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Rights manager").first()
    if group:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="accessions",
                codename__in=RIGHTS_MANAGER_INQUIRY_PERMISSIONS,
            )
        )


class Migration(migrations.Migration):
    dependencies = [("accessions", "0003_inquiries_models")]

    operations = [migrations.RunPython(grant, revoke)]
