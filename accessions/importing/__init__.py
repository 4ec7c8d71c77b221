"""Bulk import of records from CSV: formats, a streaming reader, a dry-run plan and one writer.

Kept free of imports so that accessions.models can load the import models from here.
"""
