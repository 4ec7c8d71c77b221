"""The staff roles and the permissions each holds; a migration creates them as groups."""

TAXONOMIES = [
    "subject",
    "place",
    "agent",
    "collection",
    "repository",
    "language",
    "documenttype",
    "classification",
]


def _crud(model: str, *verbs: str) -> list[str]:
    return [f"{verb}_{model}" for verb in verbs]


CATALOGUER = [
    *_crud("accession", "add", "change", "view"),
    *_crud("record", "add", "change", "view"),
    *_crud("recordtext", "add", "change", "view", "delete"),
    "view_recordevent",
    *[perm for model in TAXONOMIES for perm in _crud(model, "add", "change", "view")],
    *_crud("donor", "add", "view"),
    "view_rightsstatement",
    "submit_record",
]

EDITOR = [
    *CATALOGUER,
    "publish_record",
    "withdraw_record",
    "return_record_to_draft",
    "delete_record",
    *[f"delete_{model}" for model in TAXONOMIES],
]

RIGHTS_MANAGER = [
    *_crud("rightsstatement", "add", "change", "view", "delete"),
    *_crud("donor", "add", "change", "view"),
    "view_donor_contact",
    "view_record",
    "view_accession",
]

ROLES = {
    "Cataloguer": CATALOGUER,
    "Editor": EDITOR,
    "Rights manager": RIGHTS_MANAGER,
}
