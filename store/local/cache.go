package local

import (
	"maps"
	"sync"

	"gatehouse.dev/gatehouse"
)

// defaultCacheBytes bounds the metadata cache: about 20,000 objects with
// short keys and little metadata.
const defaultCacheBytes = 8 << 20

// metaCache keeps the metadata and segments of recently opened objects,
// so that opening a hot key costs a map lookup instead of an SQLite
// query. It can only be coherent because one process owns the store's
// directory (see lockDir) and every write to an object goes through
// begin.
//
// The hazard is a reader caching a version that a write has replaced: a
// reader misses, queries the old row, a writer commits and invalidates,
// and then the reader inserts the old row, which would then be served
// until evicted. Two rules exclude it:
//
//   - A reader may insert only if no write began or ended since it
//     missed: it notes gen when it misses, and put refuses if gen moved.
//     A writer moves gen before its transaction and again after it
//     (whether it committed or not).
//   - While a write to a key is in flight, the key has no entry: begin
//     drops it and put refuses to add one. A hit therefore never returns
//     a version older than one a concurrent reader already saw in the
//     database.
//
// So an entry was current in the database for the whole of the query
// that read it, and no write to its key has begun since: a hit returns
// what a read of the database would. The gen check is global rather than
// per key; a write elsewhere only costs a concurrent miss its insert.
//
// A max of zero or less disables caching.
type metaCache struct {
	max int64 // bytes; entries larger than max/16 are not kept

	mu      sync.Mutex
	entries map[cacheKey]*cachedObject
	size    int64 // estimated bytes of entries
	writing map[cacheKey]int
	gen     uint64
}

type cacheKey struct {
	b gatehouse.BucketName
	k gatehouse.ObjectKey
}

// cachedObject is what OpenObject needs to make an object. It is
// immutable once cached.
type cachedObject struct {
	info gatehouse.ObjectInfo
	segs []segment
	size int64
}

func newMetaCache(max int64) *metaCache {
	return &metaCache{max: max, entries: make(map[cacheKey]*cachedObject),
		writing: make(map[cacheKey]int)}
}

// get returns the cached version of b/k. On a miss it returns the
// generation to pass to put. The returned info has its own User map; its
// PartSizes and the segments are shared and must not be modified.
func (c *metaCache) get(b gatehouse.BucketName,
	k gatehouse.ObjectKey) (info gatehouse.ObjectInfo, segs []segment, gen uint64, ok bool) {
	key := cacheKey{b, k}
	c.mu.Lock()
	e := c.entries[key]
	gen = c.gen
	c.mu.Unlock()
	if e == nil {
		return info, nil, gen, false
	}
	info = e.info
	info.Meta.User = maps.Clone(e.info.Meta.User)
	return info, e.segs, gen, true
}

// put caches what a reader that missed at generation gen read from the
// database, unless a write began or ended since then.
func (c *metaCache) put(gen uint64, info gatehouse.ObjectInfo, segs []segment) {
	e := &cachedObject{info: info, segs: segs, size: entrySize(info, segs)}
	e.info.Meta.User = maps.Clone(info.Meta.User)
	if e.size > c.max/16 {
		return
	}
	key := cacheKey{info.Bucket, info.Key}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.writing[key] > 0 {
		return
	}
	if old := c.entries[key]; old != nil {
		c.size -= old.size
	}
	c.entries[key] = e
	c.size += e.size
	// Evict at random (map order) until back under the bound: no
	// bookkeeping on hits, and a scan cannot pin the whole cache.
	for k, v := range c.entries {
		if c.size <= c.max {
			break
		}
		delete(c.entries, k)
		c.size -= v.size
	}
}

// begin marks a write to b/k as in flight and drops its entry. The
// caller must call the returned end once the write's transaction is
// over, committed or not.
func (c *metaCache) begin(b gatehouse.BucketName, k gatehouse.ObjectKey) (end func()) {
	key := cacheKey{b, k}
	c.mu.Lock()
	c.writing[key]++
	c.drop(key)
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		if c.writing[key]--; c.writing[key] == 0 {
			delete(c.writing, key)
		}
		c.drop(key)
		c.mu.Unlock()
	}
}

// drop removes key's entry and moves the generation. c.mu is held.
func (c *metaCache) drop(key cacheKey) {
	if e := c.entries[key]; e != nil {
		delete(c.entries, key)
		c.size -= e.size
	}
	c.gen++
}

// entrySize estimates the memory an entry holds, in bytes.
func entrySize(info gatehouse.ObjectInfo, segs []segment) int64 {
	const fixed = 400 // the structs, map slot and string headers
	m := info.Meta
	n := fixed + len(info.Bucket) + len(info.Key) + len(info.ETag) + len(m.ContentType) +
		len(m.ContentEncoding) + len(m.ContentDisposition) + len(m.ContentLanguage) +
		len(m.CacheControl) + len(m.Expires) + len(info.Checksum.Value) +
		8*len(info.PartSizes)
	for k, v := range m.User {
		n += len(k) + len(v) + 48
	}
	for _, sg := range segs {
		n += len(sg.blob) + 48
	}
	return int64(n)
}
