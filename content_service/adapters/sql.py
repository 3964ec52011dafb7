"""The repository's SQL (asyncpg placeholders), kept apart so the queries read as a whole."""

META = "content_id, size_bytes, content_type, created_at"

SELECT_ONE = f"SELECT {META}, content FROM content_items WHERE content_id = $1"
SELECT_MANY = f"SELECT {META}, content FROM content_items WHERE content_id = ANY($1::text[])"
STAT = f"SELECT {META} FROM content_items WHERE content_id = $1"
FIND_REQUEST = "SELECT content_id, created FROM put_requests WHERE request_id = $1"

# One statement, so one round trip and one implicit transaction:
#   prior    - the answer a request_id already got (then nothing is written);
#   inserted - the bytes, unless stored already (ON CONFLICT waits for a concurrent insert of
#              the same id to commit, then does nothing: a burst of equal uploads makes one row);
#   bound    - the request_id, bound to this content and to whether this call created it.
# The final SELECT reads the statement's snapshot, so rows committed by a concurrent caller
# while we waited are invisible here: meta or bound_created then come back NULL and the
# repository reads them again in a second statement.
# $1 request_id ('' = none), $2 content_id, $3 content, $4 size_bytes, $5 content_type.
PUT = f"""
WITH prior AS (
    SELECT content_id, created FROM put_requests WHERE request_id = $1
), inserted AS (
    INSERT INTO content_items (content_id, content, size_bytes, content_type)
    SELECT $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM prior)
    ON CONFLICT (content_id) DO NOTHING
    RETURNING {META}
), bound AS (
    INSERT INTO put_requests (request_id, content_id, created)
    SELECT $1, $2, EXISTS (SELECT 1 FROM inserted)
    WHERE $1 <> '' AND NOT EXISTS (SELECT 1 FROM prior)
    ON CONFLICT (request_id) DO NOTHING
    RETURNING created
), meta AS (
    SELECT {META}, true AS fresh FROM inserted
    UNION ALL
    SELECT {META}, false FROM content_items
    WHERE content_id = $2 AND NOT EXISTS (SELECT 1 FROM inserted)
)
SELECT prior.content_id AS prior_content_id, prior.created AS prior_created,
       (SELECT created FROM bound) AS bound_created,
       meta.content_id, meta.size_bytes, meta.content_type, meta.created_at, meta.fresh
FROM (SELECT 1) AS one
LEFT JOIN prior ON true
LEFT JOIN meta ON true
"""
