"""The OpenAPI 3.1 description of the read API, served at /api/openapi.json."""

from accessions.search.filters import search_parameters


def _string(description: str = "", nullable: bool = False) -> dict:
    schema = {"type": ["string", "null"] if nullable else "string"}
    if description:
        schema["description"] = description
    return schema


NAMED = {
    "type": "object",
    "required": ["name", "slug"],
    "properties": {"name": _string(), "slug": _string()},
}
ERROR = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": _string("What was wrong with the request, in words.")},
}
RECORD_SUMMARY = {
    "type": "object",
    "required": ["record_id", "title", "url", "api_url"],
    "properties": {
        "record_id": {"type": "integer", "minimum": 1},
        "title": _string(),
        "date": _string("The document date as the record page shows it, e.g. “Undated”."),
        "date_start": {"type": ["string", "null"], "format": "date"},
        "date_end": {"type": ["string", "null"], "format": "date"},
        "summary": _string(),
        "document_type": _string(nullable=True),
        "languages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "name"],
                "properties": {"code": _string("ISO 639 code"), "name": _string()},
            },
        },
        "authors": {"type": "array", "items": {"$ref": "#/components/schemas/Named"}},
        "collections": {"type": "array", "items": {"$ref": "#/components/schemas/Named"}},
        "url": {"type": "string", "format": "uri", "description": "The public record page."},
        "api_url": {"type": "string", "format": "uri"},
    },
}
RECORD = {
    "allOf": [
        {"$ref": "#/components/schemas/RecordSummary"},
        {
            "type": "object",
            "required": ["texts", "citations"],
            "properties": {
                "source": _string(),
                "original_archive": _string(nullable=True),
                "original_classification": _string(nullable=True),
                "subjects": {"type": "array", "items": {"$ref": "#/components/schemas/Named"}},
                "places": {"type": "array", "items": {"$ref": "#/components/schemas/Named"}},
                "people_and_organizations": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Named"},
                },
                "funders": {"type": "array", "items": _string()},
                "rights": {
                    "type": ["object", "null"],
                    "properties": {
                        "name": _string(),
                        "statement": _string(),
                        "uri": _string(nullable=True),
                    },
                },
                "original_upload_date": {"type": ["string", "null"], "format": "date"},
                "texts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["kind", "body"],
                        "properties": {
                            "kind": {"enum": ["transcript", "translation"]},
                            "language": _string(nullable=True),
                            "is_main": {"type": "boolean"},
                            "credit": _string(),
                            "body": _string(),
                        },
                    },
                },
                "citations": {
                    "type": "object",
                    "description": "Downloads: BibTeX (bib), RIS (ris) and CSL-JSON (json).",
                    "properties": {
                        "bib": {"type": "string", "format": "uri"},
                        "ris": {"type": "string", "format": "uri"},
                        "json": {"type": "string", "format": "uri"},
                    },
                },
            },
        },
    ]
}
RECORD_PAGE = {
    "type": "object",
    "required": ["count", "page", "pages", "page_size", "next", "previous", "results"],
    "properties": {
        "count": {"type": "integer", "minimum": 0},
        "count_is_estimate": {
            "type": "boolean",
            "description": "True when so many records match that count is estimated.",
        },
        "page": {"type": "integer", "minimum": 1},
        "pages": {"type": "integer", "minimum": 1},
        "page_size": {"type": "integer", "minimum": 1},
        "next": {"type": ["string", "null"], "format": "uri"},
        "previous": {"type": ["string", "null"], "format": "uri"},
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/RecordSummary"}},
    },
}
COLLECTION = {
    "type": "object",
    "required": ["name", "slug", "published_count", "url", "records_url"],
    "properties": {
        "name": _string(),
        "slug": _string(),
        "description": _string(),
        "parent": _string("The parent collection's slug.", nullable=True),
        "published_count": {
            "type": "integer",
            "minimum": 0,
            "description": "Published records in the collection and its sub-collections.",
        },
        "url": {"type": "string", "format": "uri"},
        "records_url": {"type": "string", "format": "uri"},
    },
}
COLLECTION_LIST = {
    "type": "object",
    "required": ["results"],
    "properties": {
        "results": {"type": "array", "items": {"$ref": "#/components/schemas/Collection"}}
    },
}


def _json_response(description: str, schema: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _search_parameters() -> list[dict]:
    """One query parameter per search filter, so the description follows the search page."""
    parameters = [
        {
            "name": name,
            "in": "query",
            "required": False,
            "description": label,
            "schema": {"type": "string"},
        }
        for name, label in search_parameters().items()
    ]
    parameters.append(
        {
            "name": "page",
            "in": "query",
            "required": False,
            "description": "Page number, from 1; twenty records a page, as on the search page.",
            "schema": {"type": "integer", "minimum": 1, "default": 1},
        }
    )
    return parameters


def openapi_description(server_url: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Declassified archive read API",
            "version": "1.0",
            "description": "Published records, public collections and the search, read-only. "
            "Unpublished and withdrawn records never appear; a withdrawn record answers 410.",
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": {
            "/api/records/": {
                "get": {
                    "operationId": "searchRecords",
                    "summary": "Search published records with the search page's filters",
                    "parameters": _search_parameters(),
                    "responses": {
                        "200": _json_response("One page of matching records.", "RecordPage"),
                        "400": _json_response("The page number is not a number.", "Error"),
                        "404": _json_response("The page is past the last one.", "Error"),
                    },
                }
            },
            "/api/records/{record_id}/": {
                "get": {
                    "operationId": "getRecord",
                    "summary": "One published record with its texts",
                    "parameters": [
                        {
                            "name": "record_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    ],
                    "responses": {
                        "200": _json_response("The record.", "Record"),
                        "404": _json_response("No published record has this ID.", "Error"),
                        "410": _json_response("The record was withdrawn.", "Error"),
                    },
                }
            },
            "/api/collections/": {
                "get": {
                    "operationId": "listCollections",
                    "summary": "Collections holding published records",
                    "responses": {
                        "200": _json_response("Every public collection.", "CollectionList")
                    },
                }
            },
            "/api/collections/{slug}/": {
                "get": {
                    "operationId": "getCollection",
                    "summary": "One public collection",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        }
                    ],
                    "responses": {
                        "200": _json_response("The collection.", "Collection"),
                        "404": _json_response("No public collection has this slug.", "Error"),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Named": NAMED,
                "Error": ERROR,
                "RecordSummary": RECORD_SUMMARY,
                "Record": RECORD,
                "RecordPage": RECORD_PAGE,
                "Collection": COLLECTION,
                "CollectionList": COLLECTION_LIST,
            }
        },
    }
