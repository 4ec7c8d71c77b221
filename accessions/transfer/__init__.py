"""Moving records in and out: CSV import (archive, Wilson Center, AtoM) and CSV/JSON export.

Other concerns call importer.import_records, jobs.preview_import/start_import and
exporting.export_response.
"""
