"""Integer query and path parameters, bounded to what the database can compare against.

SQLite (and PostgreSQL's BIGINT) hold signed 64-bit integers; a larger number in a query raises
OverflowError deep in the driver. Every integer parameter uses one of these types, so a number out
of range is a 422 that names the parameter (a test walks the OpenAPI document to hold routes to it).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

SQL_INT_MAX = 2**63 - 1

Limit = Annotated[int, Query(ge=1, le=500, description="How many items to return (1-500).")]
Offset = Annotated[int, Query(ge=0, le=SQL_INT_MAX, description="How many items to skip.")]
TrainingIdPath = Annotated[int, Path(ge=1, le=SQL_INT_MAX)]
