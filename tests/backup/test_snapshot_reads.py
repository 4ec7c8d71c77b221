"""The router leaves reads outside public requests to Django, so a snapshot's rows stay together."""

from django.db import router

from accessions.catalogue.models import Record


def test_reads_outside_a_public_request_follow_their_instance_or_go_to_the_primary():
    # A backup reads a snapshot through an alias of its own; the rows related to what it
    # read must come from that snapshot too, not from the live database.
    from_snapshot = Record(title="Read from a snapshot")
    from_snapshot._state.db = "backup_snapshot"
    assert router.db_for_read(Record, instance=from_snapshot) == "backup_snapshot"
    assert router.db_for_read(Record) == "default"
