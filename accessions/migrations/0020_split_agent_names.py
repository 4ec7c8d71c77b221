"""Split every person's heading into name parts, once; headings that name institutions
(imports created every agent as a person) become organisations."""

from django.db import migrations, models

# The splitter is the one the app uses for new names, so that old and new names agree; it
# is a pure function of the heading.
from accessions.catalogue.names import looks_like_organisation, split_person_name

BATCH_SIZE = 1000
PARTS = ["kind", "family_name", "given_name", "name_particle", "name_suffix", "family_name_first"]


def split_names(apps, schema_editor):
    Agent = apps.get_model("accessions", "Agent")
    batch = []
    for agent in Agent.objects.order_by("pk").iterator(chunk_size=BATCH_SIZE):
        if agent.kind == "person" and looks_like_organisation(agent.name):
            agent.kind = "organization"
        parts = split_person_name(agent.name) if agent.kind == "person" else None
        if parts is None:
            agent.family_name = agent.given_name = agent.name_particle = agent.name_suffix = ""
            agent.family_name_first = False
        else:
            agent.family_name, agent.given_name = parts.family, parts.given
            agent.name_particle, agent.name_suffix = parts.particle, parts.suffix
            agent.family_name_first = parts.family_first
        batch.append(agent)
        if len(batch) == BATCH_SIZE:
            Agent.objects.bulk_update(batch, PARTS)
            batch = []
    Agent.objects.bulk_update(batch, PARTS)


class Migration(migrations.Migration):
    dependencies = [
        ("accessions", "0019_agent_name_parts"),
    ]

    operations = [
        # Parts are corrected by staff afterwards; going back only drops them.
        migrations.RunPython(split_names, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="agent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "person"), models.Q(("family_name", ""), _negated=True)),
                    models.Q(
                        ("family_name", ""),
                        ("family_name_first", False),
                        ("given_name", ""),
                        ("kind", "organization"),
                        ("name_particle", ""),
                        ("name_suffix", ""),
                    ),
                    _connector="OR",
                ),
                name="agent_name_parts_by_kind",
            ),
        ),
    ]
