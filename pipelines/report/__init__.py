"""Everything a run hands on: the finding records in every format, and the auditor report."""
