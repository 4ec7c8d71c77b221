"""Background work of the import, run inline in development and by a worker in production."""

from django.tasks import task

from accessions.importing.jobs import run_import


@task
def run_import_job(*, job_id: int) -> str:
    return run_import(job_id=job_id).status
