"""What the SQL sandbox lets through, and how it words a refusal.

The second of the sandbox's defences (see ``warehouse/sandbox.py``): a query's text is at most
``MAX_SQL_BYTES``, and it holds exactly one statement that is a read, judged by the type
DuckDB's own parser gives it, never by matching text. Every refusal and every DuckDB error a
user sees is one line in their words (``SandboxError``): what was refused and why, naming a
statement as they wrote it, without DuckDB's advice to run a statement the sandbox refuses.

Example:
    >>> check_sql_text("SELECT 1")
    'SELECT 1'
"""

from __future__ import annotations

import re

import duckdb

# SELECT covers WITH, VALUES, FROM-first, DESCRIBE, SHOW, SUMMARIZE and PIVOT with an IN list.
# EXPLAIN ANALYZE runs its inner statement, but layers 1 and 3 leave it nothing to write.
# A PRAGMA that changes a setting is stopped by lock_configuration.
_READ_STATEMENTS = frozenset(
    {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN, duckdb.StatementType.PRAGMA}
)
_READ_STATEMENT_NAMES = "SELECT, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN, PRAGMA"

# DuckDB gives some statements another's type: INSTALL is a LOAD, RESET and USE are SETs,
# CHECKPOINT is a CALL. A refusal names such a statement by the word it starts with. MULTI is
# what DuckDB makes of a PIVOT without an IN list (it creates an ENUM first), and it can wrap
# any statement (COPY (PIVOT ...) TO, CREATE TABLE AS PIVOT ...): named by its first word too.
_KINDS = {
    duckdb.StatementType.LOAD: {"INSTALL": "INSTALL", "FORCE": "INSTALL"},
    duckdb.StatementType.SET: {"RESET": "RESET", "USE": "USE"},
    duckdb.StatementType.CALL: {"CHECKPOINT": "CHECKPOINT", "FORCE": "CHECKPOINT"},
}
# The first word of a statement, after any comments.
_FIRST_WORD = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*([A-Za-z]+)", re.DOTALL)

# A query's text at most, in UTF-8 bytes: a longer one was generated, not written, and DuckDB
# would spend seconds parsing it. Queries of a few hundred KB (long IN lists) fit.
MAX_SQL_BYTES = 2**20
QUERY_TOO_LONG = f"the query is over {MAX_SQL_BYTES // 2**20} MB (the limit for a query's text)"


class SandboxError(ValueError):
    """A user's query was refused or failed; the message is one line, fit to show them."""


def check_sql_text(sql: str) -> str:
    """``sql`` when it holds something and is at most ``MAX_SQL_BYTES`` long, else a
    SandboxError saying which."""
    if len(sql) > MAX_SQL_BYTES or len(sql.encode("utf-8", "surrogatepass")) > MAX_SQL_BYTES:
        raise SandboxError(QUERY_TOO_LONG)
    if not sql.strip():
        raise SandboxError("no SQL statement given")
    return sql


def single_read_statement(connection: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement:
    """The one parsed statement in ``sql``, if it is a read; else a SandboxError."""
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as error:
        raise SandboxError(first_line(error)) from error
    if not statements:
        raise SandboxError("no SQL statement given")
    if len(statements) > 1:
        raise SandboxError(f"exactly one SQL statement is allowed, got {len(statements)}")
    statement = statements[0]
    try:
        kind = statement.type
    except ValueError:  # a type this DuckDB's Python enum lacks (UPDATE EXTENSIONS: 29)
        kind = None
    if kind not in _READ_STATEMENTS:
        raise SandboxError(_refusal(statement.query, kind))
    return statement


def _refusal(query: str, kind: duckdb.StatementType | None) -> str:
    """Why a statement that is not a read is refused, naming it as its user wrote it
    (INSTALL, RESET) where DuckDB's type lumps it with others (LOAD, SET)."""
    first = _FIRST_WORD.match(query)
    word = first.group(1).upper() if first else ""
    if kind == duckdb.StatementType.MULTI and word == "PIVOT":
        return (
            "a PIVOT without an IN list is not allowed (DuckDB would create a type for it); "
            "give PIVOT its values: PIVOT t ON col IN ('a', 'b') USING ..."
        )
    if kind == duckdb.StatementType.MULTI or kind is None:  # MULTI wraps any statement
        name = word or "this"
    else:
        name = _KINDS.get(kind, {}).get(word, kind.name)
    hint = "; call a table function as SELECT * FROM fn(...)" if name == "CALL" else ""
    return f"{name} statements are not allowed, only reads ({_READ_STATEMENT_NAMES}){hint}"


def first_line(error: Exception, kind: bool = True) -> str:
    """DuckDB's message without the caret diagram or hints that follow its first line, and
    without advice on that line to run a statement the sandbox refuses. ``kind=False`` drops
    DuckDB's "Parser Error: " and the like in front."""
    lines = str(error).strip().splitlines()
    if not lines:
        return type(error).__name__
    prefix = _ERROR_KIND.match(lines[0])
    said = _without_advice(lines[0][prefix.end() :] if prefix else lines[0])
    return f"{prefix.group(0)}{said}" if prefix and kind else said


# "Parser Error: ", "Invalid Input Error: ": the kind of error DuckDB puts in front.
_ERROR_KIND = re.compile(r"^[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)* Error: ")
# DuckDB's advice to change a setting or to install or load an extension ('Use "SET
# max_expression_depth TO x" to increase ...'): statements the sandbox refuses.
_ADVICE = re.compile(r"[`'\"]?\b(?:SET|RESET|PRAGMA|INSTALL|LOAD)\s+\S")
_CLAUSE_END = re.compile(r"[:;,]\s+|\s+-\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _without_advice(said: str) -> str:
    """``said`` up to DuckDB's first advice to run a refused statement: the sentence that gives
    it goes, or all but its first clause when that says something ("... requires the httpfs
    extension, which is not loaded: run `INSTALL ...` first" keeps "... extension."). A
    message that is advice from its first word (or a user's text that looks like it) is kept
    whole."""
    kept = []
    for sentence in _SENTENCE_END.split(said):
        advice = _ADVICE.search(sentence)
        if advice is None:
            kept.append(sentence)
            continue
        clause = _CLAUSE_END.search(sentence, 0, advice.start())
        head = sentence[: clause.start()].strip() if clause else ""
        if len(head.split()) >= 3:  # "Use TRY(...) to return NULL", not "To solve"
            kept.append(head.rstrip(".") + ".")
        break
    return " ".join(kept) or said
