"""Counting a staff list: exactly when it is short, from PostgreSQL's estimate when it is long.

Django's admin numbers a list's pages by counting its rows, and counts the whole table a
second time for the "N total" beside the search box. At a million records each count reads
every row (a sixth of a second on PostgreSQL), on every page of the list.
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

from accessions.catalogue.guarded_admin import GuardedModelAdmin

# An estimate this many times past the exact-count limit is taken as it is: counting up to the
# limit could only confirm it, and for a common word that reads a third of the records' index.
TRUSTED_ESTIMATE_FACTOR = 10


class EstimatedCountPaginator(Paginator):
    """Pages counted exactly up to settings.ADMIN_EXACT_COUNT_LIMIT rows, estimated past it.

    The estimate is PostgreSQL's planner's (`estimated` is then True). SQLite, the small
    embedded database, always counts exactly.
    """

    estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list.order_by()
        if connections[queryset.db].vendor != "postgresql":
            return queryset.count()
        limit = settings.ADMIN_EXACT_COUNT_LIMIT
        estimate = planner_rows(queryset)
        if estimate < limit * TRUSTED_ESTIMATE_FACTOR:
            # The count stops one row past the limit, so it never reads more than the limit's
            # worth of rows; it also corrects a planner that expected rows there are not. The
            # primary keys alone: a list filtered on a many-to-many field is DISTINCT, and
            # comparing whole rows made it three times slower.
            counted = queryset.values("pk")[: limit + 1].count()
            if counted <= limit:
                return counted
            estimate = max(estimate, counted)
        self.estimated = True
        return estimate

    @property
    def rounded_count(self) -> str:
        """The count to two significant figures, for an estimate: more would claim precision."""
        places = len(str(self.count)) - 2
        return f"{round(self.count, -places) if places > 0 else self.count:,}"


def planner_rows(queryset) -> int:
    """How many rows PostgreSQL's planner expects the queryset to return; nothing is read."""
    connection = connections[queryset.db]
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountAdmin(GuardedModelAdmin):
    """A list that stays quick at a million rows: its count is estimated past a limit."""

    paginator = EstimatedCountPaginator
    # Django would count the whole table a second time, for the "N total" by the search box.
    show_full_result_count = False
