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
    FINALFUNC = archive_key_tally_final
);
