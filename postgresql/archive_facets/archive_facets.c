/*
 * archive_key_tally: the facet counts of a search in one pass over its matched entries.
 *
 * Each search entry carries its facet keys (facet * 100,000,000 + value) in an integer array.
 * Counting a search's facet values in SQL expands every array into rows (unnest) and groups
 * them in a hash aggregate: about 0.2 µs a key, five times what reading the entry's row
 * costs. This aggregate counts the keys in place, in an open-addressing table of its own,
 * and hands back one bigint per distinct key (key * 2^32 + count) for SQL to unpack.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/array.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(archive_key_tally_step);
PG_FUNCTION_INFO_V1(archive_key_tally_final);
PG_FUNCTION_INFO_V1(archive_key_shown_step);
PG_FUNCTION_INFO_V1(archive_key_shown_final);

/* Facet keys are never negative: -1 marks an unused slot. */
#define EMPTY_KEY (-1)
#define FIRST_CAPACITY 1024

typedef struct KeyTally
{
	int32	   *keys;
	int32	   *counts;
	uint32		capacity;		/* a power of two */
	uint32		used;
	int			nranges;
	int32	   *ranges;			/* lo, hi of each half-open range of keys counted */
	MemoryContext context;		/* the aggregate's, which outlives each row */
	/* archive_key_shown only: what to show of the counts (see its final function) */
	int32		base;			/* a key is facet * base + value */
	int32		shown;			/* values shown per facet; negative: all */
	int			nwhole;
	int32	   *whole;			/* facets shown whole */
	int			nalways;
	int32	   *always;			/* keys always shown when counted */
} KeyTally;

static void
tally_allocate(KeyTally *tally, uint32 capacity)
{
	tally->capacity = capacity;
	tally->used = 0;
	tally->keys = MemoryContextAlloc(tally->context, capacity * sizeof(int32));
	memset(tally->keys, 0xff, capacity * sizeof(int32));	/* every slot EMPTY_KEY */
	tally->counts = MemoryContextAllocZero(tally->context, capacity * sizeof(int32));
}

static inline void tally_count(KeyTally *tally, int32 key, int32 count);

/* Doubles the table when it is half full, which keeps probe runs short. */
static void
tally_grow(KeyTally *tally)
{
	int32	   *keys = tally->keys;
	int32	   *counts = tally->counts;
	uint32		capacity = tally->capacity;

	tally_allocate(tally, capacity * 2);
	for (uint32 i = 0; i < capacity; i++)
		if (keys[i] != EMPTY_KEY)
			tally_count(tally, keys[i], counts[i]);
	pfree(keys);
	pfree(counts);
}

static inline void
tally_count(KeyTally *tally, int32 key, int32 count)
{
	uint32		mask = tally->capacity - 1;
	uint32		slot = murmurhash32((uint32) key) & mask;

	for (;;)
	{
		if (tally->keys[slot] == key)
		{
			tally->counts[slot] += count;
			return;
		}
		if (tally->keys[slot] == EMPTY_KEY)
		{
			tally->keys[slot] = key;
			tally->counts[slot] = count;
			tally->used++;
			if (tally->used * 2 > tally->capacity)
				tally_grow(tally);
			return;
		}
		slot = (slot + 1) & mask;
	}
}

/* A copy, in the aggregate's context, of an integer array argument without NULLs. */
static int32 *
copied_integers(ArrayType *array, MemoryContext context, const char *what, int *n)
{
	int32	   *copy;

	if (ARR_ELEMTYPE(array) != INT4OID || ARR_NDIM(array) > 1 || ARR_HASNULL(array))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("archive_facets: %s must be a one-dimensional integer array without NULLs",
						what)));
	*n = ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array));
	copy = MemoryContextAlloc(context, Max(*n, 1) * sizeof(int32));
	memcpy(copy, ARR_DATA_PTR(array), *n * sizeof(int32));
	return copy;
}

static KeyTally *
tally_start(ArrayType *ranges, MemoryContext context)
{
	KeyTally   *tally = MemoryContextAlloc(context, sizeof(KeyTally));
	int			n;

	tally->context = context;
	tally->ranges = copied_integers(ranges, context, "the ranges", &n);
	if (n % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("archive_facets: the ranges must come in pairs (lowest, past the highest)")));
	tally->nranges = n / 2;
	for (int i = 0; i < n; i += 2)
		if (tally->ranges[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("archive_facets: facet keys are never negative; a range starts at %d",
							tally->ranges[i])));
	tally_allocate(tally, FIRST_CAPACITY);
	return tally;
}

/* Counts one entry's keys that fall in the ranges. */
static void
tally_row(KeyTally *tally, ArrayType *keys)
{
	int32	   *key;
	int			n;

	if (ARR_ELEMTYPE(keys) != INT4OID || ARR_HASNULL(keys))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("archive_facets: the keys must be an integer array without NULLs")));
	n = ArrayGetNItems(ARR_NDIM(keys), ARR_DIMS(keys));
	key = (int32 *) ARR_DATA_PTR(keys);
	for (int i = 0; i < n; i++)
	{
		for (int r = 0; r < tally->nranges; r++)
		{
			if (key[i] >= tally->ranges[2 * r] && key[i] < tally->ranges[2 * r + 1])
			{
				tally_count(tally, key[i], 1);
				break;
			}
		}
	}
}

/* The state of either aggregate for this row: made at the first row, from the ranges. */
static KeyTally *
tally_state(FunctionCallInfo fcinfo, bool *first)
{
	MemoryContext context;

	if (!AggCheckCallContext(fcinfo, &context))
		elog(ERROR, "archive_facets: an aggregate step called outside an aggregate");
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("archive_facets: the ranges may not be NULL")));
	*first = PG_ARGISNULL(0);
	if (!*first)
		return (KeyTally *) PG_GETARG_POINTER(0);
	return tally_start(PG_GETARG_ARRAYTYPE_P(2), context);
}

Datum
archive_key_tally_step(PG_FUNCTION_ARGS)
{
	bool		first;
	KeyTally   *tally = tally_state(fcinfo, &first);

	if (!PG_ARGISNULL(1))		/* an entry without keys counts nowhere */
		tally_row(tally, PG_GETARG_ARRAYTYPE_P(1));
	PG_RETURN_POINTER(tally);
}

Datum
archive_key_tally_final(PG_FUNCTION_ARGS)
{
	KeyTally   *tally = PG_ARGISNULL(0) ? NULL : (KeyTally *) PG_GETARG_POINTER(0);
	Datum	   *packed;
	uint32		n = 0;

	if (tally == NULL || tally->used == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(INT8OID));
	packed = palloc(tally->used * sizeof(Datum));
	for (uint32 i = 0; i < tally->capacity; i++)
		if (tally->keys[i] != EMPTY_KEY)
			packed[n++] = Int64GetDatum(((int64) tally->keys[i] << 32) | (uint32) tally->counts[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(packed, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}

/*
 * archive_key_shown(keys, ranges, base, shown, whole, always): the counts as
 * archive_key_tally counts them, but only the rows a search page shows, ranked here rather
 * than in SQL: for each facet (key / base) its `shown` most counted values (ties: the lower
 * value first; all of them when `shown` is negative), every value of the facets in `whole`,
 * and the keys in `always` (the values a visitor chose) when counted.
 */
Datum
archive_key_shown_step(PG_FUNCTION_ARGS)
{
	bool		first;
	KeyTally   *tally = tally_state(fcinfo, &first);

	if (first)
	{
		if (PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5) || PG_ARGISNULL(6))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("archive_key_shown: base, shown, whole and always may not be NULL")));
		tally->base = PG_GETARG_INT32(3);
		if (tally->base <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("archive_key_shown: the base must be positive")));
		tally->shown = PG_GETARG_INT32(4);
		tally->whole = copied_integers(PG_GETARG_ARRAYTYPE_P(5), tally->context, "whole",
									   &tally->nwhole);
		tally->always = copied_integers(PG_GETARG_ARRAYTYPE_P(6), tally->context, "always",
										&tally->nalways);
	}
	if (!PG_ARGISNULL(1))
		tally_row(tally, PG_GETARG_ARRAYTYPE_P(1));
	PG_RETURN_POINTER(tally);
}

typedef struct Counted
{
	int32		facet;
	int32		key;
	int32		count;
} Counted;

/* By facet, then the most counted first, then the lower key (the lower value) first. */
static int
counted_order(const void *a, const void *b)
{
	const Counted *x = a;
	const Counted *y = b;

	if (x->facet != y->facet)
		return x->facet < y->facet ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

static bool
holds(const int32 *values, int n, int32 value)
{
	for (int i = 0; i < n; i++)
		if (values[i] == value)
			return true;
	return false;
}

/* A two-dimensional integer array, one row (facet, value, count, values in facet) each. */
Datum
archive_key_shown_final(PG_FUNCTION_ARGS)
{
	KeyTally   *tally = PG_ARGISNULL(0) ? NULL : (KeyTally *) PG_GETARG_POINTER(0);
	Counted    *counted;
	Datum	   *rows;
	uint32		n = 0;
	uint32		nrows = 0;
	int			dims[2];
	int			lbs[2] = {1, 1};

	if (tally == NULL || tally->used == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(INT4OID));
	counted = palloc(tally->used * sizeof(Counted));
	for (uint32 i = 0; i < tally->capacity; i++)
		if (tally->keys[i] != EMPTY_KEY)
		{
			counted[n].facet = tally->keys[i] / tally->base;
			counted[n].key = tally->keys[i];
			counted[n].count = tally->counts[i];
			n++;
		}
	qsort(counted, n, sizeof(Counted), counted_order);
	rows = palloc(n * 4 * sizeof(Datum));
	for (uint32 start = 0; start < n;)
	{
		uint32		end = start;
		bool		whole;

		while (end < n && counted[end].facet == counted[start].facet)
			end++;
		whole = tally->shown < 0 || holds(tally->whole, tally->nwhole, counted[start].facet);
		for (uint32 i = start; i < end; i++)
		{
			if (whole || i - start < (uint32) tally->shown ||
				holds(tally->always, tally->nalways, counted[i].key))
			{
				rows[nrows * 4] = Int32GetDatum(counted[i].facet);
				rows[nrows * 4 + 1] = Int32GetDatum(counted[i].key % tally->base);
				rows[nrows * 4 + 2] = Int32GetDatum(counted[i].count);
				rows[nrows * 4 + 3] = Int32GetDatum((int32) (end - start));
				nrows++;
			}
		}
		start = end;
	}
	dims[0] = nrows;
	dims[1] = 4;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(rows, NULL, 2, dims, lbs, INT4OID, sizeof(int32),
											 true, TYPALIGN_INT));
}
