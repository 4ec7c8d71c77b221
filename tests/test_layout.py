"""The layout's rules, read from the imports: one package per concern, dependencies one way."""

from tests.import_graph import concern, cycles, import_graph, late_imports

# The wiring modules gather every concern for Django; no concern may import them back.
WIRING = {"accessions.models", "accessions.admin", "accessions.urls"}
CONCERNS = {"catalogue", "scans", "search", "inquiries", "transfer", "standards", "demo", "backup"}


def test_no_module_imports_itself_back_through_others():
    graph, _ = import_graph()
    assert cycles(graph) == []


def test_every_import_sits_at_the_top_of_its_module():
    _, trees = import_graph()
    late = {name: late_imports(tree) for name, tree in trees.items()}
    assert {name: lines for name, lines in late.items() if lines} == {}


def test_concerns_never_import_the_wiring_modules():
    graph, _ = import_graph()
    offenders = {
        (source, target)
        for source, targets in graph.items()
        if concern(source) in CONCERNS
        for target in targets & WIRING
    }
    assert offenders == set()


def test_catalogue_depends_on_no_other_concern_but_the_search_index_it_keeps():
    graph, _ = import_graph()
    outside = {
        target
        for source, targets in graph.items()
        if concern(source) == "catalogue"
        for target in targets
        if concern(target) in CONCERNS - {"catalogue"}
    }
    assert outside <= {"accessions.search.indexing"}


def test_a_concerns_models_build_only_on_the_catalogues_models():
    graph, _ = import_graph()
    for concern_name in CONCERNS - {"catalogue", "demo"}:
        models = f"accessions.{concern_name}.models"
        if models in graph:
            others = {t for t in graph[models] if concern(t) in CONCERNS - {concern_name}}
            assert others <= {"accessions.catalogue.models"}, models


def test_nothing_but_the_demo_and_commands_imports_the_demo():
    graph, _ = import_graph()
    importers = {
        source
        for source, targets in graph.items()
        if any(concern(t) == "demo" for t in targets) and concern(source) != "demo"
    }
    assert importers == {"accessions.management.commands.load_demo"}
