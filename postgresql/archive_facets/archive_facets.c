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

static KeyTally *
tally_start(ArrayType *ranges, MemoryContext context)
{
	KeyTally   *tally;
	int			n;

	if (ARR_ELEMTYPE(ranges) != INT4OID || ARR_NDIM(ranges) > 1 || ARR_HASNULL(ranges))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("archive_key_tally: the ranges must be a one-dimensional integer array without NULLs")));
	n = ArrayGetNItems(ARR_NDIM(ranges), ARR_DIMS(ranges));
	if (n % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("archive_key_tally: the ranges must come in pairs (lowest, past the highest)")));
	tally = MemoryContextAlloc(context, sizeof(KeyTally));
	tally->context = context;
	tally->nranges = n / 2;
	tally->ranges = MemoryContextAlloc(context, Max(n, 1) * sizeof(int32));
	memcpy(tally->ranges, ARR_DATA_PTR(ranges), n * sizeof(int32));
	for (int i = 0; i < n; i += 2)
		if (tally->ranges[i] < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("archive_key_tally: facet keys are never negative; a range starts at %d",
							tally->ranges[i])));
	tally_allocate(tally, FIRST_CAPACITY);
	return tally;
}

Datum
archive_key_tally_step(PG_FUNCTION_ARGS)
{
	MemoryContext context;
	KeyTally   *tally;
	ArrayType  *keys;
	int32	   *key;
	int			n;

	if (!AggCheckCallContext(fcinfo, &context))
		elog(ERROR, "archive_key_tally_step called outside an aggregate");
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("archive_key_tally: the ranges may not be NULL")));
	tally = PG_ARGISNULL(0) ? NULL : (KeyTally *) PG_GETARG_POINTER(0);
	if (tally == NULL)
		tally = tally_start(PG_GETARG_ARRAYTYPE_P(2), context);
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(tally);	/* an entry without keys counts nowhere */

	keys = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_ELEMTYPE(keys) != INT4OID || ARR_HASNULL(keys))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("archive_key_tally: the keys must be an integer array without NULLs")));
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
