\echo Use "CREATE EXTENSION archive_facets" to load this file. \quit

CREATE FUNCTION archive_key_tally_step(internal, integer[], integer[])
RETURNS internal AS 'MODULE_PATHNAME', 'archive_key_tally_step'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION archive_key_tally_final(internal)
RETURNS bigint[] AS 'MODULE_PATHNAME', 'archive_key_tally_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- archive_key_tally(keys, ranges): how often each key of `keys` (over all rows) that falls
-- in one of the half-open ranges [ranges[1], ranges[2]), [ranges[3], ranges[4]), ... occurs,
-- as an array of key * 2^32 + count, one element per key, in no particular order.
CREATE AGGREGATE archive_key_tally(integer[], integer[]) (
    SFUNC = archive_key_tally_step,
    STYPE = internal,
    FINALFUNC = archive_key_tally_final,
    -- Safe in a parallel plan (it runs above the Gather: there is no combine function); an
    -- unsafe one anywhere in a statement would keep the whole statement from parallel plans.
    PARALLEL = SAFE
);

CREATE FUNCTION archive_key_shown_step(internal, integer[], integer[], integer, integer, integer[], integer[])
RETURNS internal AS 'MODULE_PATHNAME', 'archive_key_shown_step'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION archive_key_shown_final(internal)
RETURNS integer[] AS 'MODULE_PATHNAME', 'archive_key_shown_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- archive_key_shown(keys, ranges, base, shown, whole, always): what a search page shows of
-- the counts archive_key_tally makes, as rows of a two-dimensional array, (facet, value,
-- count, values in facet) each: per facet (key / base) its `shown` most counted values
-- (ties: the lower value first; every value when `shown` is negative), every value of the
-- facets in `whole`, and the keys in `always` that were counted.
CREATE AGGREGATE archive_key_shown(integer[], integer[], integer, integer, integer[], integer[]) (
    SFUNC = archive_key_shown_step,
    STYPE = internal,
    FINALFUNC = archive_key_shown_final,
    PARALLEL = SAFE
);
