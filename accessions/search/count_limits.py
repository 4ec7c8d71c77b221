"""How far the search counts exactly, and how its estimates past that are sized.

Up to EXACT_COUNT_LIMIT matches everything is counted exactly (counting.capped_counts).
Past it, each count is estimated from a sample of its own matches (estimates.py), sized for
the error the estimate may have, as below. The other modules read these values through this
module at each call, so that a test may change them.
"""

import math

# Up to this many matches, the total and every facet count are exact. Past it they are
# estimated and shown as "about N".
EXACT_COUNT_LIMIT = 10_000


# How estimates are sized. An estimate counts the matches among the entries whose pk is a
# multiple of a stride (a power of two), and multiplies by the stride. With h sampled
# matches its relative error is within 1.96 / sqrt(h) nineteen times in twenty (the sample
# is a binomial draw of the matches), so ±5 % needs h >= (1.96 / 0.05)² = 1,537: the stride
# is chosen to expect SAMPLE_HITS = 2,000 of them. It is chosen from a coarse sample first
# (every COARSE_STRIDE-th entry): from its c matches, (c - 2·sqrt(c)) · COARSE_STRIDE is a
# lower bound of the matches (97.7 % of the time), and the stride is the largest power of
# two that still expects SAMPLE_HITS matches at that bound. A count past the limit reads
# a few thousand of its matches whatever its size; one just past it is counted exactly.
ESTIMATE_ERROR = 0.05


SAMPLE_HITS = 2000


# The facet counts of a group whose own filter is on (counted over more matches than the
# search finds) come from a sample of their own, which costs its matches' rows: a quarter
# of the hits keeps a search with three filters within its time, at ±9 % for a whole group
# (a single value's count, a part of the group, varies more: the bench reports it).
GROUP_SAMPLE_HITS = 500


COARSE_STRIDE = 1024  # at most models.SAMPLE_LEVELS_UP_TO


# A group whose coarse sample holds at least this many matches is past the exact-count
# limit beyond doubt: within the limit, the coarse sample expects fewer than 10 at a
# million records, and seeing 25 or more is a chance below one in twenty thousand.
SURELY_PAST_HITS = 25


# A count whose coarse sample is not that sure, but holds at least FINE_FROM matches, reads
# a finer sample (every FINE_STRIDE-th entry) to decide: it is past the limit beyond doubt
# when that sample holds fine_surely_hits() matches, four standard deviations above what a
# count at the limit gives it. The finer sample costs a few hundred rows where counting up
# to the limit costs ten thousand; below FINE_FROM coarse matches a count is likely within
# the limit and is counted anyway.
FINE_STRIDE = 128  # a sample level: a power of two up to models.SAMPLE_LEVELS_UP_TO


FINE_FROM = 5


# An estimate whose stride the coarse sample leaves in doubt between two powers of two reads
# the finer sample to choose it (estimates.fine_may_widen), only when that sample holds at
# most this share of the entries of the sample it may halve (a quarter: 1,210 finer
# matches to save 2,420 of 4,840 for a phrase in 155,000 records).
FINE_SAMPLE_SHARE = 4


# When the finer sample is in doubt too but holds at least what a count at the limit leaves
# in it (the count is then as likely past the limit as not), a finer one still, every
# FINEST_STRIDE-th entry, decides the same way: four standard deviations above what a count
# at the limit gives it. It costs a few hundred rows more, read through its own partial
# index (models.SAMPLE_INDEX_STRIDES), where counting to the limit would read ten thousand;
# it is read only when finer than the finer sample.
FINEST_STRIDE = 16


def surely_hits(stride: int) -> int:
    """The fewest matches of the sample of `stride` that put its count past the limit beyond
    doubt: λ + 4·sqrt(λ), λ being what a count at the limit leaves in it."""
    expected = EXACT_COUNT_LIMIT / stride
    return max(1, math.ceil(expected + 4 * math.sqrt(expected)))


def fine_surely_hits() -> int:
    """surely_hits of the finer sample."""
    return surely_hits(FINE_STRIDE)


def at_the_limit(stride: int) -> int:
    """What a count at the limit leaves, rounded up, in the sample of `stride`."""
    return math.ceil(EXACT_COUNT_LIMIT / stride)
