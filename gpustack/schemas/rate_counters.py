"""Rate-limit counters shared by servers on one PostgreSQL: one row per counter and window."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel


class RateCounter(SQLModel, table=True):
    __tablename__ = "rate_counters"

    # e.g. "k:12:rpm" (API key 12, requests per minute) or "g:3:tpd" (group 3, tokens per day).
    key: str = SQLField(primary_key=True, max_length=64)
    # The window's index: minutes or days since the epoch.
    window_start: int = SQLField(sa_column=Column(BigInteger, primary_key=True))
    # Reserved (requests) or spent (tokens) so far, by every server.
    count: int = SQLField(sa_column=Column(BigInteger, nullable=False))
