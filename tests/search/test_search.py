"""The public search page: keywords, filters, facet counts, and that only published records show."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accessions.catalogue.workflow import transition_record
from accessions.models import (
    Agent,
    Classification,
    Collection,
    DocumentType,
    Donor,
    Language,
    Place,
    Record,
    RecordText,
    Repository,
    Subject,
)
from accessions.search.engine import run_search
from accessions.search.indexing import update_search_index

pytestmark = pytest.mark.django_db


def record_ids(response) -> list[int]:
    return [hit.record.record_id for hit in response.context["result"].hits]


def search(client, query: str = "", **params):
    url = reverse("accessions:search") + ("?" + query if query else "")
    return client.get(url, params) if params else client.get(url)


@pytest.fixture
def catalogue(db, make_record, funder):
    """A small archive: published records with distinct taxonomies, and unpublished twins."""
    europe = Place.objects.create(name="Europe")
    germany = Place.objects.create(name="Germany", parent=europe)
    cuba = Place.objects.create(name="Cuba")
    cold_war = Collection.objects.create(name="Cold War")
    berlin_crisis = Collection.objects.create(name="Berlin Crisis", parent=cold_war)
    nuclear = Subject.objects.create(name="Nuclear weapons")
    trade = Subject.objects.create(name="Trade")
    khrushchev = Agent.objects.create(name="Khrushchev, Nikita")
    kennedy = Agent.objects.create(name="Kennedy, John F.")
    party = Agent.objects.create(name="Communist Party", kind=Agent.Kind.ORGANIZATION)
    archive = Repository.objects.create(name="Russian State Archive")
    secret = Classification.objects.create(name="Top Secret")
    letter = DocumentType.objects.create(name="Letter")
    telegram = DocumentType.objects.create(name="Telegram")
    english, russian = Language.objects.get(code="en"), Language.objects.get(code="ru")
    other_funder = Donor.objects.create(name="Other Fund", is_funder=True, credit="The Other Fund")
    records = {
        "letter": make_record(
            title="Letter from Khrushchëv to Kennedy on the missile crisis",
            date_text="1962-10-26",
            summary="Khrushchev proposes removing the missiles from Cuba.",
            places=[cuba],
            subjects=[nuclear],
            authors=[khrushchev],
            people_and_organizations=[kennedy],
            languages=[russian],
            original_archive=archive,
            original_classification=secret,
            document_type=letter,
            donors=[funder],
            collections=[cold_war],
        ),
        "wall": make_record(
            title="Memorandum on the Berlin wall",
            date_text="1961-08",
            summary="Party leaders discuss closing the border in Berlin.",
            places=[germany],
            subjects=[trade, nuclear],
            people_and_organizations=[party],
            languages=[english],
            document_type=telegram,
            donors=[other_funder],
            collections=[berlin_crisis],
        ),
        "grain": make_record(
            title="Telegram about grain deliveries",
            date_text="1975",
            summary="Negotiations about grain and trade agreements.",
            places=[europe],
            subjects=[trade],
            authors=[kennedy],
            languages=[english, russian],
            document_type=telegram,
        ),
        "undated": make_record(
            title="Undated note on missiles",
            date_text="undated",
            summary="A short note mentioning missiles.",
        ),
    }
    twins = {
        status: make_record(
            status=status,
            title=f"Unpublished {status} letter about missiles in Cuba",
            summary="Khrushchev missiles Cuba Berlin grain trade.",
            places=[cuba, germany],
            subjects=[nuclear, trade],
            authors=[khrushchev],
            languages=[russian],
            original_archive=archive,
            original_classification=secret,
            document_type=letter,
            donors=[funder],
            collections=[cold_war, berlin_crisis],
        )
        for status in ("draft", "in_review", "withdrawn")
    }
    return {"records": records, "twins": twins}


def ids(catalogue, *names) -> list[int]:
    return sorted(catalogue["records"][name].record_id for name in names)


def test_browse_without_keywords_lists_every_published_record_by_date(client, catalogue):
    response = search(client)
    assert response.status_code == 200
    assert record_ids(response) == [
        catalogue["records"][name].record_id for name in ("wall", "letter", "grain", "undated")
    ]
    assert response.context["result"].total == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("subject=nuclear-weapons", ["letter", "wall"]),
        ("subject=trade", ["wall", "grain"]),
        ("place=cuba", ["letter"]),
        ("place=europe", ["wall", "grain"]),  # Germany lies inside Europe
        ("collection=cold-war", ["letter", "wall"]),  # includes the Berlin Crisis sub-collection
        ("collection=berlin-crisis", ["wall"]),
        ("person=kennedy-john-f", ["letter", "grain"]),  # mentioned in one, author of the other
        ("person=communist-party", ["wall"]),
        ("language=ru", ["letter", "grain"]),
        ("repository=russian-state-archive", ["letter"]),
        ("donor=example-foundation", ["letter"]),
        ("classification=top-secret", ["letter"]),
        ("type=telegram", ["wall", "grain"]),
        ("has_translation=en", ["letter", "wall", "grain", "undated"]),
        ("has_translation=ru", []),
        ("date_from=1962", ["letter", "grain"]),
        ("date_to=1961", ["wall"]),
        ("date_from=1961-08&date_to=1961-08", ["wall"]),  # month precision, record is 1961-08
        ("date_from=1961-08-31&date_to=1961-09-01", ["wall"]),  # overlaps the month's last day
        ("date_from=1961-09&date_to=1962-10-25", []),
        ("date_from=1962-10-26&date_to=1962-10-26", ["letter"]),
        ("subject=trade&subject=nuclear-weapons", ["letter", "wall", "grain"]),  # ORed
        ("subject=trade&type=telegram&language=ru", ["grain"]),  # ANDed
        ("subject=trade&place=cuba", []),
        ("q=missiles&date_from=1960&date_to=1969", ["letter"]),
    ],
)
def test_each_filter_alone_and_combined_finds_exactly_the_published_matches(
    client, catalogue, query, expected
):
    response = search(client, query)
    assert response.status_code == 200, response.context["result"].errors
    assert sorted(record_ids(response)) == ids(catalogue, *expected)
    assert response.context["result"].total == len(expected)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("missile", ["letter", "undated"]),  # stemming: missile finds missiles
        ("Khrushchev", ["letter"]),  # accent folding: matches Khrushchëv in the title
        ("KHRUSHCHËV", ["letter"]),
        ('"missile crisis"', ["letter"]),
        ('"crisis missile"', []),
        ("grain OR berlin", ["wall", "grain"]),
        ("missiles -cuba", ["undated"]),
        ('missiles -"short note"', ["letter"]),
        ("trade agreements", ["grain"]),
        ("-missiles", ["wall", "grain"]),
        ("the missiles", ["letter", "undated"]),  # a stopword does not change the meaning
        ("nikita", ["letter"]),  # people's names are searched too
        ("zanzibar", []),
    ],
)
def test_keyword_syntax_has_the_same_meaning_on_every_database(client, catalogue, q, expected):
    response = search(client, q=q)
    assert response.status_code == 200, response.context["result"].errors
    assert sorted(record_ids(response)) == ids(catalogue, *expected)


def test_relevance_puts_title_matches_above_text_matches(client, catalogue, make_record):
    text_only = make_record(title="Report", summary="Nothing here.", date_text="1950")
    RecordText.objects.filter(record=text_only).update(body="A word about zeppelins.")
    update_search_index(record_pks=[text_only.pk])
    titled = make_record(title="Zeppelins over the city", summary="Airships.", date_text="1990")
    response = search(client, q="zeppelin")
    assert record_ids(response) == [titled.record_id, text_only.record_id]
    assert response.context["result"].sort == "relevance"


def test_relevance_ranks_title_matches_by_date_whatever_the_title_length(client, make_record):
    # Made in this order, so that the pks run against the expected order.
    made = {
        name: make_record(title=title, date_text=date_text, summary="Airships.")
        for name, title, date_text in [
            ("undated", "Zeppelin", "undated"),
            ("wordy", "Zeppelin raid over the docks", "1930"),
            ("short", "Zeppelin", "1930"),
            ("day", "Zeppelin sighting", "1930-01-01"),
            ("long", "A long account of the zeppelin raids over the eastern counties", "1915"),
        ]
    }
    text_only = make_record(title="Report", summary="A zeppelin passed.", date_text="1900")
    # Title matches first, each by date whatever its length: the long title of 1915, then
    # 1930-01-01 (a single day ends before the whole year), then the two of the whole year
    # 1930 by pk (the longer title first), then the undated one; the older text-only match
    # after all of them.
    expected = [made[name].record_id for name in ("long", "day", "wordy", "short", "undated")]
    assert made["wordy"].pk < made["short"].pk
    assert record_ids(search(client, q="zeppelin")) == [*expected, text_only.record_id]
    # The API shows the same order.
    api = client.get("/api/records/?q=zeppelin").json()
    assert [item["title"] for item in api["results"]][:2] == [
        "A long account of the zeppelin raids over the eastern counties",
        "Zeppelin sighting",
    ]


def test_sort_orders_by_date_title_and_upload(client, catalogue):
    records = catalogue["records"]
    newest_first = search(client, sort="-date")
    assert record_ids(newest_first)[:3] == [
        records[name].record_id for name in ("grain", "letter", "wall")
    ]
    by_title = search(client, sort="title")
    titles = [hit.record.title.lower() for hit in by_title.context["result"].hits]
    assert titles == sorted(titles)


def test_date_sort_under_a_date_filter_lists_overlapping_records_oldest_first(client, catalogue):
    records = catalogue["records"]
    oldest_first = search(client, "date_from=1961-09&sort=date")
    assert record_ids(oldest_first) == [records[name].record_id for name in ("letter", "grain")]
    newest_first = search(client, "date_to=1970&sort=-date")
    assert record_ids(newest_first) == [records[name].record_id for name in ("letter", "wall")]


def test_newest_first_puts_undated_records_last_across_pages(client, catalogue):
    records = catalogue["records"]
    order = [records[name].record_id for name in ("grain", "letter", "wall", "undated")]
    for page in (1, 2):
        result = run_search(_querydict({"sort": ["-date"], "page": [str(page)]}), page_size=2)
        assert [hit.record.record_id for hit in result.hits] == order[(page - 1) * 2 : page * 2]
    narrowed = run_search(_querydict({"sort": ["-date"], "q": ["missiles"]}), page_size=1)
    assert [hit.record.record_id for hit in narrowed.hits] == [records["letter"].record_id]


def test_drafts_and_withdrawn_records_are_absent_from_results_and_every_count(client, catalogue):
    response = search(client, q="missiles Cuba Khrushchev")
    html = response.content.decode()
    assert "Unpublished" not in html
    result = response.context["result"]
    assert record_ids(response) == ids(catalogue, "letter")
    counts = {(g.param, v.value): v.count for g in result.facets for v in g.values}
    assert counts[("subject", "nuclear-weapons")] == 1
    browse = search(client).context["result"]
    counts = {(g.param, v.value): v.count for g in browse.facets for v in g.values}
    assert counts[("collection", "berlin-crisis")] == 1
    assert counts[("collection", "cold-war")] == 2
    assert counts[("place", "cuba")] == 1
    assert counts[("donor", "example-foundation")] == 1


def test_status_changes_take_effect_in_search_at_once(client, catalogue, editor):
    letter = catalogue["records"]["letter"]
    draft = catalogue["twins"]["draft"]
    robot = letter.created_by
    transition_record(record=letter, action="withdraw", user=robot)
    assert search(client, q="crisis").context["result"].total == 0
    subject_counts = {v.value: v.count for v in search(client).context["result"].facets[2].values}
    assert subject_counts["nuclear-weapons"] == 1
    transition_record(record=letter, action="publish", user=robot)
    assert record_ids(search(client, q="crisis")) == [letter.record_id]
    transition_record(record=draft, action="publish", user=robot)
    assert draft.record_id in record_ids(search(client, q="unpublished"))
    transition_record(record=draft, action="return_to_draft", user=robot)
    assert search(client, q="unpublished").context["result"].total == 0


def brute_force_counts(params: dict) -> dict[tuple[str, str], int]:
    """Facet counts the slow, obvious way: filter published records in Python per value."""
    records = list(
        Record.objects.published().prefetch_related(
            "languages",
            "authors",
            "people_and_organizations",
            "places__parent",
            "subjects",
            "collections__parent",
            "donors",
            "texts__language",
        )
    )

    def ancestors(item):
        while item is not None:
            yield item
            item = item.parent

    def values(record, param) -> set[str]:
        if param == "language":
            return {language.code for language in record.languages.all()}
        if param == "collection":
            return {c.slug for item in record.collections.all() for c in ancestors(item)}
        if param == "place":
            return {p.slug for item in record.places.all() for p in ancestors(item)}
        if param == "person":
            people = [*record.authors.all(), *record.people_and_organizations.all()]
            return {agent.slug for agent in people}
        if param == "subject":
            return {subject.slug for subject in record.subjects.all()}
        if param == "donor":
            return {donor.slug for donor in record.donors.all()}
        if param == "has_translation":
            return {
                text.language.code
                for text in record.texts.all()
                if text.kind == RecordText.Kind.TRANSLATION and text.language
            }
        single = {
            "repository": record.original_archive,
            "classification": record.original_classification,
            "type": record.document_type,
        }[param]
        return {single.slug} if single else set()

    params_list = [
        "language",
        "collection",
        "subject",
        "place",
        "person",
        "repository",
        "donor",
        "classification",
        "type",
        "has_translation",
    ]
    counts: dict[tuple[str, str], int] = {}
    for facet in params_list:
        for record in records:
            others_match = all(
                values(record, other) & set(params[other]) for other in params if other != facet
            )
            if others_match:
                for value in values(record, facet):
                    counts[(facet, value)] = counts.get((facet, value), 0) + 1
    return counts


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"subject": ["trade"]},
        {"subject": ["trade"], "language": ["ru"]},
        {"place": ["europe"], "type": ["telegram", "letter"]},
        {"collection": ["cold-war"], "person": ["kennedy-john-f"]},
    ],
)
def test_facet_counts_equal_a_brute_force_count_under_the_other_filters(client, catalogue, params):
    result = run_search(_querydict(params), facet_limit=None)
    assert result.is_valid, result.errors
    shown = {(g.param, v.value): v.count for g in result.facets for v in g.values}
    assert shown == brute_force_counts(params)


def _querydict(params: dict):

    query = QueryDict(mutable=True)
    for name, values in params.items():
        query.setlist(name, values)
    return query


def test_decade_list_counts_records_whose_dates_overlap_each_decade(client, catalogue, make_record):
    make_record(title="Decade spanning report", date_text="1958/1963")
    decades = {d.value: d.count for d in search(client).context["result"].decades}
    assert decades == {"1950": 1, "1960": 3, "1970": 1}
    sixties = search(client, "date_from=1960&date_to=1969").context["result"]
    assert sixties.total == 3


def test_active_filters_show_as_removable_chips(client, catalogue):
    response = search(client, "subject=trade&subject=nuclear-weapons&q=grain")
    html = response.content.decode()
    assert "Subject: Trade" in html
    assert 'href="/search/?subject=nuclear-weapons&amp;q=grain"' in html
    assert "Keywords: grain" in html


def test_snippet_highlights_matches_and_escapes_the_record_text(client, make_record):
    make_record(
        title="Escaping check",
        summary="The <script>alert(1)</script> treaty & its protocol were signed.",
    )
    response = search(client, q="treaty")
    html = response.content.decode()
    snippet = str(response.context["result"].hits[0].snippet)
    assert "<mark>treaty</mark>" in snippet
    assert "<script>" not in html
    # PostgreSQL's headline drops tag-like text, FTS5 keeps it escaped; neither passes it raw.
    assert "<" not in snippet.replace("<mark>", "").replace("</mark>", "")
    assert "&amp; its protocol" in snippet


def test_extract_follows_the_texts_in_the_record_pages_order(client, make_record):
    """The extract is cut from the texts in the order the record page shows them: the
    main text first (Record.main_text), then the others by position, whatever the order
    they were added in."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's headline joins the texts; FTS5 snippets the indexed body")
    english = Language.objects.get(code="en")
    # The main text placed after a transcript.
    main_last = make_record(title="Quokka telegrams", summary="Two texts.")
    main_last.texts.update(body="Of wheat, the quokka wheat.", position=2)
    RecordText.objects.create(
        record=main_last,
        kind=RecordText.Kind.TRANSCRIPT,
        body="Of barley, the quokka barley.",
        language=english,
        position=1,
    )
    # No main text of its own: the first by position leads, then the rest by position.
    added_late = make_record(title="Quokka letters", summary="Three texts.")
    added_late.texts.update(
        body="Nothing to see.", is_primary=False, kind=RecordText.Kind.TRANSCRIPT
    )
    for body, position in (("Of rye, the quokka rye.", 2), ("Of oats, the quokka oats.", 1)):
        RecordText.objects.create(
            record=added_late,
            kind=RecordText.Kind.TRANSCRIPT,
            body=body,
            language=english,
            position=position,
        )
    hits = search(client, q="quokka").context["result"].hits
    snippets = {hit.record.pk: str(hit.snippet) for hit in hits}
    for record, first, then in ((main_last, "wheat", "barley"), (added_late, "oats", "rye")):
        texts = list(record.texts.all())
        main = record.main_text()
        page_order = [main.body] + [text.body for text in texts if text != main]
        assert [body for body in page_order if first in body or then in body] == [
            body for body in page_order if "quokka" in body
        ]
        snippet = snippets[record.pk]
        assert "<mark>quokka</mark>" in snippet
        assert snippet.index(first) < snippet.index(then), snippet


def test_browse_snippet_is_the_escaped_summary(client, make_record):
    make_record(summary="Bold <b>claim</b> here.")
    html = search(client).content.decode()
    assert "Bold &lt;b&gt;claim&lt;/b&gt; here." in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("subject=no-such-subject", "No subject is known as “no-such-subject”"),
        ("date_from=1970&date_to=1960", "The end date is before the start date."),
        ("date_from=yesterday", "“yesterday” is not a date"),
        ("date_from=%D9%A1%D9%A9%D9%A6%D9%A2", "“١٩٦٢” is not a date"),
        ("date_to=1962-02-30", "“1962-02-30” is not a real calendar date."),
        ("date_to=1962-13", "“1962-13” is not a real calendar date."),
        ("page=999", "There is no page 999; the last is 1."),
        ("page=abc", "The page must be a whole number from 1 to 100,000."),
        ("page=0", "The page must be a whole number from 1 to 100,000."),
        ("page=%C2%B2", "The page must be a whole number from 1 to 100,000."),
        ("page=" + "9" * 30, "The page must be a whole number from 1 to 100,000."),
        ("sort=price", "Select a valid choice."),
        ("q=" + "x" * 501, "at most 500 characters"),
        ("q=the", "too common to search for"),
        ("language=" + "&language=".join(f"l{i}" for i in range(60)), "at most 50 values"),
    ],
)
def test_bad_parameters_get_a_readable_message_and_a_400(client, catalogue, query, message):
    response = search(client, query)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["result"].hits == []


def test_a_search_from_the_first_day_a_date_can_have(client, make_record):
    """date_from=0001 finds every dated record: the bound it puts on the start dates (the
    date less the longest range of any record) would fall before the first day a date can
    have, and is left out, not a 500."""
    ranged = make_record(title="A range of decades", date_text="1950/1970")
    response = search(client, "date_from=0001")
    assert response.status_code == 200
    assert [hit.record.pk for hit in response.context["result"].hits] == [ranged.pk]
    beyond = search(client, "date_from=0001&page=99")
    assert beyond.status_code == 400
    assert "There is no page 99; the last is 1." in beyond.content.decode()


def test_a_dated_page_past_the_last_asks_no_more_than_an_undated_one(
    client, catalogue, django_assert_num_queries
):
    """The bound on the start dates of a sample of dates alone is read in the count's own
    statement: a page past the last is told from the count alone, dated or not."""
    with CaptureQueriesContext(connection) as undated:
        assert search(client, "page=99").status_code == 400
    with django_assert_num_queries(len(undated.captured_queries)):
        assert search(client, "date_from=1960&page=99").status_code == 400


def test_record_page_links_land_on_search_with_that_filter_applied(client, catalogue):
    letter = catalogue["records"]["letter"]
    page = client.get(letter.get_absolute_url()).content.decode()
    for link in [
        "/search/?subject=nuclear-weapons",
        "/search/?language=ru",
        "/search/?repository=russian-state-archive",
        "/search/?classification=top-secret",
        "/search/?type=letter",
        "/search/?donor=example-foundation",
    ]:
        assert f'href="{link}"' in page, link
        response = client.get(link)
        assert response.status_code == 200
        assert letter.record_id in record_ids(response)


def test_search_page_keeps_a_fixed_number_of_queries(
    client, catalogue, django_assert_num_queries, make_record
):
    # Resolve slugs, count, page ids, facet counts (one UNION), facet labels, the page's records,
    # and the page's scan thumbnails. PostgreSQL ranks the page with the count, and counts
    # and ranks every facet of an exact search from the rows the count reads, two queries
    # fewer; where a facet group is counted under the words and no filter that bounds it, it
    # asks its statistics how common the words are (SearchFilter.keyword_estimate), one
    # query more.
    postgresql = connection.vendor == "postgresql"
    with django_assert_num_queries(5 if postgresql else 7):
        response = search(client, "q=missiles&subject=nuclear-weapons&language=ru")
    assert response.status_code == 200
    for number in range(25):
        make_record(title=f"More missiles {number}", subjects=[Subject.objects.get(slug="trade")])
    with django_assert_num_queries(6 if postgresql else 7):
        response = search(client, "q=missiles&subject=nuclear-weapons&subject=trade&page=2")
    assert response.status_code == 200
    with django_assert_num_queries(6):
        assert search(client).status_code == 200


def test_show_all_lists_every_value_of_a_long_facet_and_finds_by_name(client, make_record):
    subjects = [Subject.objects.create(name=f"Topic {number:02d}") for number in range(15)]
    make_record(subjects=subjects)
    make_record(status="draft", subjects=[Subject.objects.create(name="Draft only topic")])
    page = search(client)
    group = next(g for g in page.context["result"].facets if g.param == "subject")
    assert len(group.values) == 10 and group.value_count == 15
    assert "Show all 15 subject" in page.content.decode()
    everything = client.get(reverse("accessions:search_facet", args=["subject"]))
    assert everything.status_code == 200
    html = everything.content.decode()
    assert all(subject.name in html for subject in subjects)
    assert "Draft only topic" not in html
    found = client.get(reverse("accessions:search_facet", args=["subject"]), {"within": "ic 07"})
    assert [v.label for v in found.context["group"].values] == ["Topic 07"]
    missing = client.get(reverse("accessions:search_facet", args=["nonsense"]))
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("keyword_matches", "keywords_lead"), [(None, False), (1, True), (99, False)]
)
def test_the_filter_matching_fewest_records_comes_first_in_the_query(
    catalogue, keyword_matches, keywords_lead
):
    from accessions.search.filters import SearchFilter
    from accessions.search.models import SearchEntry

    # Trade has two published records: it leads until the words are known to match fewer.
    search_filter = SearchFilter(
        _querydict({"q": ["missiles"], "subject": ["trade"]}), queryset=SearchEntry.objects.all()
    )
    assert search_filter.is_valid()
    search_filter.keyword_matches = keyword_matches
    sql = str(search_filter.queryset_without().query)
    keywords_at = sql.find("MATCH") if "MATCH" in sql else sql.find("@@")
    # PostgreSQL tests the facet keys on each entry's row; SQLite looks up the facet rows.
    facet_at = sql.find('"keys" &&') if connection.vendor == "postgresql" else sql.find('"facet" =')
    assert (keywords_at < facet_at) == keywords_lead
    # Whatever leads, the same records match.
    berlin = SearchFilter(
        _querydict({"q": ["berlin"], "subject": ["trade"]}), queryset=SearchEntry.objects.all()
    )
    assert berlin.is_valid()
    berlin.keyword_matches = keyword_matches
    found = [entry.pk for entry in berlin.queryset_without()]
    assert found == [catalogue["records"]["wall"].pk]


def test_postgresql_ands_the_words_and_facet_values_in_one_index_scan(catalogue):
    from accessions.search.filters import SearchFilter
    from accessions.search.models import SearchEntry

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: SQLite looks the values up in the facet rows")
    search_filter = SearchFilter(
        QueryDict("q=berlin&subject=trade"), queryset=SearchEntry.objects.all()
    )
    assert search_filter.is_valid()
    sql, params = search_filter.qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        # A handful of rows is read fastest by a sequential scan; a million are not.
        cursor.execute("SET LOCAL enable_seqscan = off")
        # The titles' index holds the keys too (migration 0027): at a handful of rows, the
        # value's key read there and the word tested on the rows cost the planner the same
        # as both read in one scan of the full index; at a million, not. It goes until the
        # test's transaction rolls back.
        cursor.execute("DROP INDEX search_entry_title_words_keys")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    scans = [line for line in plan.splitlines() if "Index Scan" in line]
    assert len(scans) == 1 and "search_entry_words_keys" in scans[0]
    condition = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "@@" in condition and "&&" in condition
    assert [entry.pk for entry in search_filter.qs] == [catalogue["records"]["wall"].pk]


def test_the_keyword_estimate_comes_from_postgresql_statistics(catalogue):
    from accessions.search.filters import SearchFilter
    from accessions.search.models import SearchEntry

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    search_filter = SearchFilter(QueryDict("q=missiles"), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    estimate = search_filter.keyword_estimate()
    assert isinstance(estimate, int) and estimate >= 1


def test_a_group_under_words_postgresql_expects_everywhere_is_estimated_unsized(
    catalogue, monkeypatch
):
    from accessions.search.filters import SearchFilter

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's estimate for the words is asked only there")
    query = "q=berlin&subject=trade"
    sized = run_search(QueryDict(query), facet_limit=None)
    assert sized.total == 1
    assert "subject" not in sized.estimated_groups
    monkeypatch.setattr(SearchFilter, "keyword_estimate", lambda self: 10**6)
    unsized = run_search(QueryDict(query), facet_limit=None)
    assert "subject" in unsized.estimated_groups
    # The sample of so small an archive is all of it: the estimate equals the count.
    assert unsized.facets == sized.facets


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({}, "subject"),
        ({"subject": ["trade"]}, "subject"),
        ({"language": ["ru"]}, "subject"),
        ({"type": ["telegram"], "subject": ["trade"]}, "place"),
        ({"collection": ["cold-war"]}, "person"),
    ],
)
def test_show_all_counts_equal_a_brute_force_count_under_the_other_filters(
    catalogue, params, param
):
    from accessions.search.engine import facet_values

    result = facet_values(_querydict(params), param=param)
    assert result.is_valid, result.errors
    shown = {(param, value.value): value.count for value in result.facets[0].values}
    expected = {key: n for key, n in brute_force_counts(params).items() if key[0] == param}
    assert shown == expected


@pytest.mark.parametrize("path", ["/search/", "/api/records/", "/search/export.csv"])
def test_a_term_only_unpublished_records_carry_is_as_unknown_as_one_that_does_not_exist(
    client, make_record, path
):
    make_record(title="Published")
    secret = Subject.objects.create(name="Operation Nightjar", slug="operation-nightjar")
    make_record(status="draft", title="Draft", subjects=[secret])
    make_record(status="in_review", title="In review", subjects=[secret])
    hidden = client.get(path, {"subject": "operation-nightjar"})
    missing = client.get(path, {"subject": "no-such-subject"})
    assert hidden.status_code == missing.status_code == 400
    assert "Operation Nightjar" not in hidden.content.decode()
    assert hidden.content.decode().replace("operation-nightjar", "no-such-subject") == (
        missing.content.decode()
    )


def test_a_date_filter_finds_records_whose_long_range_began_far_earlier(client, make_record):
    # PostgreSQL reads a date filter's records in date order from the date less the longest
    # range of any record (SearchFilter.start_bounded): a record begun decades before the
    # date asked for, and still running, must be found, and its range must widen the bound.
    from accessions.search.filters import SearchFilter
    from accessions.search.models import SearchEntry

    short = make_record(title="Short letter", date_text="1961-03-02")
    older = make_record(title="Older letter", date_text="1940/1945")

    def found(query):
        result = search(client, query).context["result"]
        return {hit.record.pk for hit in result.hits}

    assert found("date_from=1960") == {short.pk}
    series = make_record(title="Long series", date_text="1920/1965")
    assert found("date_from=1960") == {short.pk, series.pk}
    assert found("date_from=1966") == set()
    assert found("date_from=1944&date_to=1950") == {series.pk, older.pk}
    search_filter = SearchFilter(QueryDict("date_from=1960"), queryset=SearchEntry.objects.all())
    assert search_filter.is_valid()
    if connection.vendor == "postgresql":
        # 1920-01-01 to 1965-12-31: 16,801 days, and the bound is the date less that.
        assert search_filter.longest_span() == 16801
        # Said outright for reading in date order only; the counts' filter goes without it.
        bounded = str(search_filter.start_bounded(search_filter.qs).query).replace("'", "")
        assert '"date_start" >= 1914-01-01' in bounded
        assert '"date_start" >= ' not in str(search_filter.qs.query)
