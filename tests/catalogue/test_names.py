"""Personal names in parts: split once from the heading, kept by kind, corrected by staff."""

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse

from accessions.catalogue.names import NameParts, looks_like_organisation, split_person_name
from accessions.models import Agent


@pytest.mark.parametrize(
    ("heading", "parts"),
    [
        ("George F. Kennan", NameParts("Kennan", "George F.")),
        # Library headings are taken as written, without life dates and fuller forms.
        ("Kennan, George F.", NameParts("Kennan", "George F.")),
        ("Khrushchev, Nikita Sergeevich, 1894-1971", NameParts("Khrushchev", "Nikita Sergeevich")),
        ("Kennedy, John F. (John Fitzgerald), 1917-1963", NameParts("Kennedy", "John F.")),
        ('Blair, Anthony Charles Lynton ("Tony")', NameParts("Blair", "Anthony Charles Lynton")),
        (
            "Guterres, António Manuel de Oliveira",
            NameParts("Guterres", "António Manuel de Oliveira"),
        ),
        ("Charles de Gaulle", NameParts("Gaulle", "Charles", particle="de")),
        ("Gaulle, Charles de", NameParts("Gaulle", "Charles", particle="de")),
        ("Martin Luther King, Jr.", NameParts("King", "Martin Luther", suffix="Jr.")),
        ("King, Martin Luther, Jr., 1929-1968", NameParts("King", "Martin Luther", suffix="Jr.")),
        ("Sukarno", NameParts("Sukarno")),
        ("Henry Moore OM, CH", NameParts("Moore", "Henry")),
        (
            "Egbert Van Heemskerk III",
            NameParts("Van Heemskerk", "Egbert", suffix="III"),
        ),
        # Russian: given, patronymic, family; or the official family-first order.
        ("Никита Сергеевич Хрущёв", NameParts("Хрущёв", "Никита Сергеевич")),
        ("Хрущёв Никита Сергеевич", NameParts("Хрущёв", "Никита Сергеевич")),
        ("Микоян А. И.", NameParts("Микоян", "А. И.")),
        ("Anastas Mikoyan", NameParts("Mikoyan", "Anastas")),
        # Chinese and Korean: family name first.
        ("Mao Zedong", NameParts("Mao", "Zedong", family_first=True)),
        ("Chiang Kai-shek", NameParts("Chiang", "Kai-shek", family_first=True)),
        ("Chiang, Ching-kuo (Jiang Jingguo)", NameParts("Chiang", "Ching-kuo", family_first=True)),
        ("毛泽东", NameParts("毛", "泽东", family_first=True)),
        ("欧阳修", NameParts("欧阳", "修", family_first=True)),
        ("김일성", NameParts("김", "일성", family_first=True)),
        # Not Chinese: an English given name that happens to be a Chinese surname.
        ("Lee Hamilton", NameParts("Hamilton", "Lee")),
        ("Kohl, Helmut", NameParts("Kohl", "Helmut")),
    ],
)
def test_a_heading_splits_into_the_parts_citations_use(heading, parts):
    assert split_person_name(heading) == parts


@pytest.mark.parametrize(
    ("heading", "organisation"),
    [
        ("Japan. Foreign Ministry", True),
        ("CPSU Central Committee", True),
        ("Japan-China Import-Export Association", True),
        ("United States. Embassy (Soviet Union)", True),
        ("North Atlantic Treaty Organization", True),
        ("George F. Kennan", False),
        ("Dr. Henry Kissinger", False),
        ("J. Edgar Hoover", False),
        ("Yeltsin, Boris", False),
        ("Микоян А. И.", False),
        ("NATO", True),
        # Honours, generations, styles and names in capitals are people's.
        ("Gillian Wearing OBE", False),
        ("Henry Moore OM, CH", False),
        ("Marcus Gheeraerts II", False),
        ("The Hon. Dorothy Brett", False),
        ("VALIE EXPORT", False),
    ],
)
def test_headings_of_institutions_are_told_from_people(heading, organisation):
    assert looks_like_organisation(heading) is organisation


@pytest.mark.django_db
def test_a_person_is_split_when_first_saved_and_never_again():
    agent = Agent.objects.create(name="George F. Kennan")
    assert (agent.family_name, agent.given_name) == ("Kennan", "George F.")
    agent.given_name = "George Frost"
    agent.name = "George Frost Kennan"
    agent.save()
    agent.refresh_from_db()
    assert (agent.family_name, agent.given_name) == ("Kennan", "George Frost")


@pytest.mark.django_db
def test_an_organisation_keeps_no_name_parts():
    agent = Agent.objects.create(name="George F. Kennan")
    agent.kind = Agent.Kind.ORGANIZATION
    agent.save()
    agent.refresh_from_db()
    assert agent.name_parts == NameParts()


@pytest.mark.django_db
def test_the_database_refuses_a_person_without_a_family_name_and_parts_on_an_organisation():
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.bulk_create([Agent(name="No parts", slug="no-parts")])
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.bulk_create(
            [Agent(name="Org", slug="org", kind="organization", family_name="Org")]
        )


@pytest.mark.django_db
def test_the_migration_splits_existing_people_and_finds_institutions_made_people():
    migration = importlib.import_module("accessions.migrations.0020_split_agent_names")
    Agent.objects.bulk_create(
        [
            Agent(name="George F. Kennan", slug="kennan", family_name="unsplit"),
            # Imports made every agent a person.
            Agent(name="Japan. Foreign Ministry", slug="japan", family_name="unsplit"),
        ]
    )
    migration.split_names(apps, None)
    kennan, ministry = Agent.objects.get(slug="kennan"), Agent.objects.get(slug="japan")
    assert (kennan.family_name, kennan.given_name) == ("Kennan", "George F.")
    assert ministry.kind == Agent.Kind.ORGANIZATION and ministry.name_parts == NameParts()


@pytest.mark.django_db
def test_staff_correct_the_parts_in_the_admin(client, cataloguer):
    agent = Agent.objects.create(name="Ho Chi Minh")
    client.force_login(cataloguer)
    url = reverse("admin:accessions_agent_change", args=[agent.pk])
    page = client.get(url).content.decode()
    assert "Name in citations" in page and 'name="family_name"' in page
    response = client.post(
        url,
        {
            "name": "Ho Chi Minh",
            "slug": agent.slug,
            "kind": "person",
            "family_name": "Ho",
            "given_name": "Chi Minh",
            "name_particle": "",
            "name_suffix": "",
            "family_name_first": "on",
        },
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.name_parts == NameParts("Ho", "Chi Minh", family_first=True)
