package local

// Every SQL statement the local store runs lives in this file.
//
// The schema uses plain types (TEXT, BIGINT, INTEGER) and the queries use
// $N placeholders and standard syntax only, so that they also run on
// PostgreSQL. Object keys must sort by their UTF-8 bytes: SQLite's default
// BINARY collation compares TEXT with memcmp, which is exactly that; on
// PostgreSQL the key columns would be declared TEXT COLLATE "C".
//
// Listing seeks past a common prefix with a bound that may be invalid
// UTF-8 (the prefix with its last byte incremented). SQLite compares such
// a value bytewise; on PostgreSQL the bound would be bound as bytea and
// compared with convert_to(object_key, 'UTF8').
//
// Times are Unix nanoseconds. Object and upload metadata is JSON.

// schemaVersion is stored in schema_version. Bump it, and add a migration,
// when the schema changes.
const schemaVersion = 1

// schema creates the tables on first start; every statement is idempotent.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS buckets (
		name    TEXT PRIMARY KEY,
		created BIGINT NOT NULL
	)`,
	// objects holds the current version of each key. id names the
	// version; an overwrite deletes the row and inserts a new one.
	`CREATE TABLE IF NOT EXISTS objects (
		id             TEXT PRIMARY KEY,
		bucket         TEXT NOT NULL REFERENCES buckets (name),
		object_key     TEXT NOT NULL,
		size           BIGINT NOT NULL,
		etag           TEXT NOT NULL,
		modified       BIGINT NOT NULL,
		meta           TEXT NOT NULL,
		checksum_alg   TEXT NOT NULL,
		checksum_type  TEXT NOT NULL,
		checksum_value TEXT NOT NULL,
		parts          INTEGER NOT NULL,
		UNIQUE (bucket, object_key)
	)`,
	// segments lists the blob files whose concatenation is an object's
	// stored bytes: one for a single PUT, one per part for a multipart
	// object. size is the part's content size, stored_size its file size.
	// A blob belongs to at most one segment or part (UNIQUE), so freeing
	// one never frees another object's bytes.
	`CREATE TABLE IF NOT EXISTS segments (
		object_id   TEXT NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
		seq         INTEGER NOT NULL,
		blob        TEXT NOT NULL UNIQUE,
		size        BIGINT NOT NULL,
		stored_size BIGINT NOT NULL,
		PRIMARY KEY (object_id, seq)
	)`,
	`CREATE TABLE IF NOT EXISTS uploads (
		id            TEXT PRIMARY KEY,
		bucket        TEXT NOT NULL REFERENCES buckets (name),
		object_key    TEXT NOT NULL,
		initiated     BIGINT NOT NULL,
		meta          TEXT NOT NULL,
		checksum_alg  TEXT NOT NULL,
		checksum_type TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, object_key, id)`,
	`CREATE TABLE IF NOT EXISTS parts (
		upload_id      TEXT NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
		number         INTEGER NOT NULL,
		blob           TEXT NOT NULL UNIQUE,
		size           BIGINT NOT NULL,
		stored_size    BIGINT NOT NULL,
		etag           TEXT NOT NULL,
		checksum_alg   TEXT NOT NULL,
		checksum_type  TEXT NOT NULL,
		checksum_value TEXT NOT NULL,
		modified       BIGINT NOT NULL,
		PRIMARY KEY (upload_id, number)
	)`,
}

const (
	qSchemaVersion    = `SELECT version FROM schema_version`
	qSetSchemaVersion = `INSERT INTO schema_version (version) VALUES ($1)`

	qBucketCreated = `SELECT created FROM buckets WHERE name = $1`
	qInsertBucket  = `INSERT INTO buckets (name, created) VALUES ($1, $2)`
	qDeleteBucket  = `DELETE FROM buckets WHERE name = $1`
	qListBuckets   = `SELECT name, created FROM buckets ORDER BY name`
	qAnyObject     = `SELECT 1 FROM objects WHERE bucket = $1 LIMIT 1`
	qAnyUpload     = `SELECT 1 FROM uploads WHERE bucket = $1 LIMIT 1`

	objectCols = `id, object_key, size, etag, modified, meta,
		checksum_alg, checksum_type, checksum_value, parts`
	qCurrent = `SELECT id, etag FROM objects WHERE bucket = $1 AND object_key = $2`
	// qOpenObject reads an object and its segments in one statement, and
	// so from one snapshot.
	qOpenObject = `SELECT o.id, o.object_key, o.size, o.etag, o.modified, o.meta,
		o.checksum_alg, o.checksum_type, o.checksum_value, o.parts,
		s.blob, s.size, s.stored_size
		FROM objects o JOIN segments s ON s.object_id = o.id
		WHERE o.bucket = $1 AND o.object_key = $2 ORDER BY s.seq`
	qSegments = `SELECT blob, size, stored_size FROM segments
		WHERE object_id = $1 ORDER BY seq`
	qInsertObject = `INSERT INTO objects (` + objectCols + `, bucket)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	qInsertSegment = `INSERT INTO segments (object_id, seq, blob, size, stored_size)
		VALUES ($1, $2, $3, $4, $5)`
	qDeleteObject = `DELETE FROM objects WHERE id = $1`

	// Listing reads a page at a time from a seek position, in key order,
	// through the (bucket, object_key) unique index.
	//
	// Page queries end in a literal LIMIT of batchRows (a full page plus
	// one row), not a bound parameter: SQLite re-plans a statement whose
	// LIMIT is bound every time it is rebound, which costs more than the
	// query. The caller stops reading once its page is full.
	listCols   = `object_key, size, etag, modified, checksum_alg, checksum_type, checksum_value, parts`
	qListAfter = `SELECT ` + listCols + ` FROM objects
		WHERE bucket = $1 AND object_key > $2 ORDER BY object_key LIMIT 1001`
	qListFrom = `SELECT ` + listCols + ` FROM objects
		WHERE bucket = $1 AND object_key >= $2 ORDER BY object_key LIMIT 1001`

	uploadCols    = `id, object_key, initiated, meta, checksum_alg, checksum_type`
	qInsertUpload = `INSERT INTO uploads (` + uploadCols + `, bucket)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`
	qUpload = `SELECT ` + uploadCols + ` FROM uploads
		WHERE id = $1 AND bucket = $2 AND object_key = $3`
	qDeleteUpload = `DELETE FROM uploads WHERE id = $1`
	// Uploads are listed by key, then by ID; IDs begin with their
	// creation time, so that is also initiation order.
	qListUploadsAfter = `SELECT ` + uploadCols + ` FROM uploads
		WHERE bucket = $1 AND (object_key, id) > ($2, $3)
		ORDER BY object_key, id LIMIT 1001`
	qListUploadsAfterKey = `SELECT ` + uploadCols + ` FROM uploads
		WHERE bucket = $1 AND object_key > $2
		ORDER BY object_key, id LIMIT 1001`
	qListUploadsFrom = `SELECT ` + uploadCols + ` FROM uploads
		WHERE bucket = $1 AND object_key >= $2
		ORDER BY object_key, id LIMIT 1001`

	partCols = `number, blob, size, stored_size, etag,
		checksum_alg, checksum_type, checksum_value, modified`
	qPart       = `SELECT blob FROM parts WHERE upload_id = $1 AND number = $2`
	qInsertPart = `INSERT INTO parts (` + partCols + `, upload_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	qDeletePart = `DELETE FROM parts WHERE upload_id = $1 AND number = $2`
	qParts      = `SELECT ` + partCols + ` FROM parts
		WHERE upload_id = $1 ORDER BY number`
	qListParts = `SELECT ` + partCols + ` FROM parts
		WHERE upload_id = $1 AND number > $2 ORDER BY number LIMIT 1001`

	// qAllBlobs lists every blob the metadata references, in byte order,
	// for the orphan sweep at start.
	qAllBlobs = `SELECT blob FROM segments UNION ALL SELECT blob FROM parts ORDER BY 1`
)

// queries lists every statement run after start, to prepare them once.
var queries = []string{
	qBucketCreated, qInsertBucket, qDeleteBucket, qListBuckets, qAnyObject, qAnyUpload,
	qCurrent, qOpenObject, qSegments, qInsertObject, qInsertSegment, qDeleteObject,
	qListAfter, qListFrom,
	qInsertUpload, qUpload, qDeleteUpload, qListUploadsAfter, qListUploadsAfterKey,
	qListUploadsFrom,
	qPart, qInsertPart, qDeletePart, qParts, qListParts,
}
