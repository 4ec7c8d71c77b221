from email.utils import parseaddr

from django.db import migrations, models


def split_reply_to(apps, schema_editor):
    """Emails queued before: the routed email's "Name <address>" becomes the inquiry's pair."""
    OutgoingEmail = apps.get_model("accessions", "OutgoingEmail")
    for email in OutgoingEmail.objects.filter(reply_to__contains="<").select_related("inquiry"):
        if email.kind == "routed":
            email.reply_to_name = " ".join(email.inquiry.name.split())[:200]
            email.reply_to = email.inquiry.email
        else:
            email.reply_to = parseaddr(email.reply_to)[1]
        email.save(update_fields=["reply_to", "reply_to_name"])


class Migration(migrations.Migration):
    dependencies = [("accessions", "0017_admin_search")]

    operations = [
        migrations.AddField(
            model_name="outgoingemail",
            name="reply_to_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(split_reply_to, migrations.RunPython.noop),
    ]
