"""Aggregate reports at `/reports/`: volume, overrides, timeliness, outcomes and
service gaps, each a date-range filter, tables, a chart and a CSV export."""
