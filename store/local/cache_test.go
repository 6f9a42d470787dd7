package local

import (
	"fmt"
	"testing"

	"gatehouse.dev/gatehouse"
)

func cacheInfo(k string, etag string) gatehouse.ObjectInfo {
	return gatehouse.ObjectInfo{Bucket: "b", Key: gatehouse.ObjectKey(k), Size: 1, ETag: etag,
		Meta: gatehouse.ObjectMeta{User: map[string]string{"color": "blue"}}}
}

func cacheSegs(blob string) []segment { return []segment{{blob: blob, size: 1, stored: 1}} }

// mustMiss fails t unless k is not cached, and returns the generation.
func mustMiss(t *testing.T, c *metaCache, k string) uint64 {
	t.Helper()
	info, _, gen, ok := c.get("b", gatehouse.ObjectKey(k))
	if ok {
		t.Fatalf("%s is cached with ETag %s, want a miss", k, info.ETag)
	}
	return gen
}

// TestCacheNeverKeepsAReplacedVersion plays, step by step, each way a
// reader's insert can interleave with a write to the same key, and checks
// that the version the reader read before the write is never cached.
func TestCacheNeverKeepsAReplacedVersion(t *testing.T) {
	old := cacheInfo("k", `"old"`)

	t.Run("write begins and ends between the miss and the insert", func(t *testing.T) {
		c := newMetaCache(1 << 20)
		gen := mustMiss(t, c, "k")
		c.begin("b", "k")()
		c.put(gen, old, cacheSegs("blob-old"))
		mustMiss(t, c, "k")
	})
	t.Run("insert while the write is in flight", func(t *testing.T) {
		c := newMetaCache(1 << 20)
		gen := mustMiss(t, c, "k")
		end := c.begin("b", "k")
		c.put(gen, old, cacheSegs("blob-old"))
		mustMiss(t, c, "k")
		end()
		mustMiss(t, c, "k")
	})
	t.Run("miss and insert both while the write is in flight", func(t *testing.T) {
		c := newMetaCache(1 << 20)
		end := c.begin("b", "k")
		gen := mustMiss(t, c, "k")
		c.put(gen, old, cacheSegs("blob-old"))
		mustMiss(t, c, "k")
		end()
		mustMiss(t, c, "k")
	})
	t.Run("a write to another key also refuses the insert", func(t *testing.T) {
		c := newMetaCache(1 << 20)
		gen := mustMiss(t, c, "k")
		c.begin("b", "other")()
		c.put(gen, old, cacheSegs("blob-old"))
		mustMiss(t, c, "k")
	})
	t.Run("a write drops the cached version", func(t *testing.T) {
		c := newMetaCache(1 << 20)
		c.put(mustMiss(t, c, "k"), old, cacheSegs("blob-old"))
		if _, _, _, ok := c.get("b", "k"); !ok {
			t.Fatal("a quiet insert was not cached")
		}
		end := c.begin("b", "k")
		mustMiss(t, c, "k")
		end()
		mustMiss(t, c, "k")
	})
}

// TestCacheHitIsTheInsertedVersion checks what a hit returns, and that a
// caller changing its user metadata does not change the cache.
func TestCacheHitIsTheInsertedVersion(t *testing.T) {
	c := newMetaCache(1 << 20)
	c.put(mustMiss(t, c, "k"), cacheInfo("k", `"v1"`), cacheSegs("blob-1"))
	info, segs, _, ok := c.get("b", "k")
	if !ok || info.ETag != `"v1"` || len(segs) != 1 || segs[0].blob != "blob-1" {
		t.Fatalf("get = %+v, %+v, %v; want v1 in blob-1", info, segs, ok)
	}
	info.Meta.User["color"] = "red"
	again, _, _, _ := c.get("b", "k")
	if again.Meta.User["color"] != "blue" {
		t.Errorf("user metadata changed through a hit: %v", again.Meta.User)
	}
}

// TestCacheStaysWithinItsBound fills the cache far past its bound.
func TestCacheStaysWithinItsBound(t *testing.T) {
	const max = 64 << 10
	c := newMetaCache(max)
	for i := range 2000 {
		k := fmt.Sprintf("key-%d", i)
		c.put(mustMiss(t, c, k), cacheInfo(k, `"e"`), cacheSegs("0123456789abcdef0123456789abcdef"))
		if c.size > max {
			t.Fatalf("after %d inserts the cache holds %d bytes, bound %d", i+1, c.size, max)
		}
	}
	var sum int64
	for _, e := range c.entries {
		sum += e.size
	}
	if sum != c.size || len(c.entries) < 50 {
		t.Errorf("%d entries of %d bytes, accounted %d; want the accounting exact and "+
			"the cache not emptied", len(c.entries), sum, c.size)
	}

	big := cacheInfo("big", `"e"`)
	big.Meta.User["blob"] = string(make([]byte, max/8))
	c.put(mustMiss(t, c, "big"), big, cacheSegs("x"))
	mustMiss(t, c, "big")

	off := newMetaCache(-1)
	off.put(mustMiss(t, off, "k"), cacheInfo("k", `"e"`), cacheSegs("x"))
	mustMiss(t, off, "k")
}
