"""The IIIF Presentation 3 rules our manifests rely on, checked for the tests.

iiif-prezi3 (the reference Python models) pins Pillow <= 12 and cannot be installed beside
our Pillow 13, so the rules of the specification that apply to our manifests are checked
here: required properties, their types, and the links between canvases and annotations.
"""

from urllib.parse import urlparse

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
RIGHTS_HOSTS = {"creativecommons.org", "rightsstatements.org"}


class ManifestError(AssertionError):
    pass


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ManifestError(message)


def _uri(value, where: str) -> None:
    parsed = urlparse(value if isinstance(value, str) else "")
    _check(parsed.scheme in {"http", "https"} and parsed.netloc, f"{where}: not an HTTP(S) URI")


def _language_map(value, where: str) -> None:
    _check(isinstance(value, dict) and value, f"{where}: must be a non-empty language map")
    for language, strings in value.items():
        _check(isinstance(language, str) and language, f"{where}: bad language key")
        _check(
            isinstance(strings, list) and strings and all(isinstance(s, str) for s in strings),
            f"{where}.{language}: must be a list of strings",
        )


def _pair(value, where: str) -> None:
    _check(isinstance(value, dict) and set(value) == {"label", "value"}, f"{where}: label/value")
    _language_map(value["label"], f"{where}.label")
    _language_map(value["value"], f"{where}.value")


def _resource(value, where: str, kinds: set[str]) -> None:
    _check(isinstance(value, dict), f"{where}: must be an object")
    _uri(value.get("id"), f"{where}.id")
    _check(value.get("type") in kinds, f"{where}.type must be one of {sorted(kinds)}")
    if "format" in value:
        _check("/" in value["format"], f"{where}.format: not a media type")
    for dimension in ("width", "height"):
        if dimension in value:
            _check(
                isinstance(value[dimension], int) and value[dimension] > 0,
                f"{where}.{dimension} must be a positive integer",
            )


def _canvas(canvas, where: str) -> None:
    _resource(canvas, where, {"Canvas"})
    _check("width" in canvas and "height" in canvas, f"{where}: a Canvas needs width and height")
    if "label" in canvas:
        _language_map(canvas["label"], f"{where}.label")
    for index, thumbnail in enumerate(canvas.get("thumbnail", [])):
        _resource(thumbnail, f"{where}.thumbnail[{index}]", {"Image"})
    pages = canvas.get("items")
    _check(isinstance(pages, list) and pages, f"{where}.items: needs an AnnotationPage")
    for page_index, page in enumerate(pages):
        page_where = f"{where}.items[{page_index}]"
        _resource(page, page_where, {"AnnotationPage"})
        for index, annotation in enumerate(page.get("items", [])):
            annotation_where = f"{page_where}.items[{index}]"
            _resource(annotation, annotation_where, {"Annotation"})
            _check(annotation.get("motivation") == "painting", f"{annotation_where}: painting")
            _check(annotation.get("target") == canvas["id"], f"{annotation_where}: target")
            _resource(annotation.get("body"), f"{annotation_where}.body", {"Image"})
    for index, rendering in enumerate(canvas.get("rendering", [])):
        _resource(rendering, f"{where}.rendering[{index}]", {"Image", "Text", "Dataset"})
        _language_map(rendering.get("label"), f"{where}.rendering[{index}].label")


def validate_manifest(manifest: dict) -> None:
    """Raise ManifestError naming the first rule of Presentation 3 the manifest breaks."""
    context = manifest.get("@context")
    contexts = context if isinstance(context, list) else [context]
    _check(contexts[-1] == CONTEXT, "@context must end with the Presentation 3 context")
    _resource(manifest, "manifest", {"Manifest"})
    _language_map(manifest.get("label"), "label")
    if "summary" in manifest:
        _language_map(manifest["summary"], "summary")
    for index, pair in enumerate(manifest.get("metadata", [])):
        _pair(pair, f"metadata[{index}]")
    if "requiredStatement" in manifest:
        _pair(manifest["requiredStatement"], "requiredStatement")
    if "rights" in manifest:
        _uri(manifest["rights"], "rights")
        _check(urlparse(manifest["rights"]).netloc in RIGHTS_HOSTS, "rights: not CC or RS.org")
    for index, agent in enumerate(manifest.get("provider", [])):
        _resource(agent, f"provider[{index}]", {"Agent"})
        _language_map(agent.get("label"), f"provider[{index}].label")
        for home_index, homepage in enumerate(agent.get("homepage", [])):
            _resource(homepage, f"provider[{index}].homepage[{home_index}]", {"Text"})
    for index, homepage in enumerate(manifest.get("homepage", [])):
        _resource(homepage, f"homepage[{index}]", {"Text"})
    for index, thumbnail in enumerate(manifest.get("thumbnail", [])):
        _resource(thumbnail, f"thumbnail[{index}]", {"Image"})
    items = manifest.get("items")
    _check(isinstance(items, list), "items: a Manifest needs a list of canvases")
    ids = [canvas.get("id") for canvas in items]
    _check(len(ids) == len(set(ids)), "items: canvas ids must be unique")
    for index, canvas in enumerate(items):
        _canvas(canvas, f"items[{index}]")
