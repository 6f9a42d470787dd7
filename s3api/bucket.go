package s3api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"gatehouse.dev/gatehouse"
)

// owner is the S3 owner element. Gatehouse has no AWS accounts; the ID is
// derived from the credential's principal so that it is stable.
type owner struct {
	ID          string
	DisplayName string
}

func (q *s3req) owner() owner {
	c := q.auth.Credential
	name := c.Principal
	if name == "" {
		name = string(c.AccessKeyID)
	}
	sum := sha256.Sum256([]byte("gatehouse-owner:" + name))
	return owner{ID: hex.EncodeToString(sum[:]), DisplayName: name}
}

// s3Time formats a time as S3 does in XML bodies.
func s3Time(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

type listBucketsResult struct {
	XMLName           xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListAllMyBucketsResult"`
	Owner             owner
	Buckets           []bucketEntry `xml:"Buckets>Bucket"`
	Prefix            string        `xml:",omitempty"`
	ContinuationToken string        `xml:",omitempty"`
}

type bucketEntry struct {
	Name         string
	CreationDate string
	BucketRegion string
}

// maxBuckets bounds the max-buckets parameter of ListBuckets (Amazon S3
// API Reference, ListBuckets).
const maxBuckets = 10000

// listBuckets answers ListBuckets, honouring prefix, max-buckets and
// continuation-token. Without max-buckets every bucket is one page.
func (h *handler) listBuckets(w *responseWriter, q *s3req) error {
	limit, err := parseMax(q.query, "max-buckets", maxBuckets)
	if err != nil {
		return err
	}
	if q.query.Has("max-buckets") && limit == 0 {
		return gatehouse.ErrInvalidArgument.With("max-buckets must be between 1 and %d",
			maxBuckets)
	}
	after := ""
	if q.query.Has("continuation-token") {
		if after, err = decodeToken(q.query.Get("continuation-token")); err != nil {
			return err
		}
	}
	buckets, err := h.store.ListBuckets(q.ctx)
	if err != nil {
		return fmt.Errorf("list buckets: %w", err)
	}

	// A confined credential sees only the buckets its policy allows.
	filter, _ := q.auth.Credential.Policy.(gatehouse.BucketFilter)

	prefix := q.query.Get("prefix")
	res := listBucketsResult{Owner: q.owner(), Buckets: []bucketEntry{}, Prefix: prefix}
	for _, b := range buckets {
		name := string(b.Name)
		if !strings.HasPrefix(name, prefix) || name <= after {
			continue
		}
		if filter != nil && !filter.AllowsBucket(b.Name) {
			continue
		}
		if len(res.Buckets) == limit {
			res.ContinuationToken = encodeToken(res.Buckets[limit-1].Name)
			break
		}
		res.Buckets = append(res.Buckets, bucketEntry{
			Name:         name,
			CreationDate: s3Time(b.Created),
			BucketRegion: h.region,
		})
	}
	return writeXML(w, http.StatusOK, res)
}

// createBucketConfiguration is the optional body of CreateBucket.
// Gatehouse has one region; the constraint may only name it.
type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string
}

// createBucket answers CreateBucket. Bucket names were validated by the
// router; an existing bucket is BucketAlreadyOwnedByYou, since there is
// one owner.
func (h *handler) createBucket(w *responseWriter, q *s3req) error {
	if err := checkWriteHeaders(q.r.Header); err != nil {
		return err
	}
	if q.r.Header.Get("X-Amz-Bucket-Object-Lock-Enabled") == "true" {
		return gatehouse.ErrNotImplemented.With("Object lock is not implemented")
	}
	var cfg createBucketConfiguration
	if err := readXML(q, maxConfigXML, &cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if !h.isLocalConstraint(cfg.LocationConstraint) {
		return errIllegalLocationConstraint.With("The %s location constraint is incompatible "+
			"with the region of this endpoint, %s.", cfg.LocationConstraint, h.region)
	}
	if err := h.store.CreateBucket(q.ctx, q.bucket); err != nil {
		return fmt.Errorf("create bucket: %w", err)
	}
	w.Header().Set("Location", "/"+string(q.bucket))
	w.WriteHeader(http.StatusOK)
	return nil
}

// isLocalConstraint reports whether a CreateBucket location constraint
// names the server's region. AWS refuses any other region with
// IllegalLocationConstraintException (Amazon S3 API Reference,
// CreateBucket), and so does Gatehouse, rather than create the bucket
// somewhere the client did not ask for. Two leniencies: an absent
// constraint means the server's region, whatever it is, since Gatehouse
// has only one (AWS takes it to mean us-east-1), and "us-east-1" spelt
// out is accepted where it is the region, as s3cmd sends it. "EU" is the
// legacy name of eu-west-1 in the BucketLocationConstraint enumeration.
func (h *handler) isLocalConstraint(c string) bool {
	return c == "" || c == h.region || c == "EU" && h.region == "eu-west-1"
}

// headBucket answers HeadBucket: 200 with the region, or 404 (with no
// body, as for every HEAD).
func (h *handler) headBucket(w *responseWriter, q *s3req) error {
	if _, err := h.store.HeadBucket(q.ctx, q.bucket); err != nil {
		return fmt.Errorf("head bucket: %w", err)
	}
	w.Header().Set("X-Amz-Bucket-Region", h.region)
	w.WriteHeader(http.StatusOK)
	return nil
}

// deleteBucket answers DeleteBucket; the store refuses a non-empty bucket.
func (h *handler) deleteBucket(w *responseWriter, q *s3req) error {
	if err := h.store.DeleteBucket(q.ctx, q.bucket); err != nil {
		return fmt.Errorf("delete bucket: %w", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ LocationConstraint"`
	Region  string   `xml:",chardata"`
}

// getBucketLocation answers GetBucketLocation. As in AWS, the region
// us-east-1 is reported as an empty constraint (Amazon S3 API Reference,
// GetBucketLocation).
func (h *handler) getBucketLocation(w *responseWriter, q *s3req) error {
	if _, err := h.store.HeadBucket(q.ctx, q.bucket); err != nil {
		return fmt.Errorf("head bucket: %w", err)
	}
	region := h.region
	if region == "us-east-1" {
		region = ""
	}
	return writeXML(w, http.StatusOK, locationConstraint{Region: region})
}

type versioningConfiguration struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ VersioningConfiguration"`
}

// getBucketVersioning reports versioning as never enabled: an empty
// configuration, which is what S3 returns for such a bucket.
func (h *handler) getBucketVersioning(w *responseWriter, q *s3req) error {
	if _, err := h.store.HeadBucket(q.ctx, q.bucket); err != nil {
		return fmt.Errorf("head bucket: %w", err)
	}
	return writeXML(w, http.StatusOK, versioningConfiguration{})
}

type accessControlPolicy struct {
	XMLName xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ AccessControlPolicy"`
	Owner   owner
	Grants  []grant `xml:"AccessControlList>Grant"`
}

type grant struct {
	Grantee    grantee
	Permission string
}

type grantee struct {
	XSI         string `xml:"xmlns:xsi,attr"`
	Type        string `xml:"xsi:type,attr"`
	ID          string
	DisplayName string
}

// ownerOnlyACL is the one ACL Gatehouse has: the owner holds
// FULL_CONTROL and nobody else holds anything.
func ownerOnlyACL(o owner) accessControlPolicy {
	return accessControlPolicy{Owner: o, Grants: []grant{{
		Grantee: grantee{
			XSI:         "http://www.w3.org/2001/XMLSchema-instance",
			Type:        "CanonicalUser",
			ID:          o.ID,
			DisplayName: o.DisplayName,
		},
		Permission: "FULL_CONTROL",
	}}}
}

func (h *handler) getBucketACL(w *responseWriter, q *s3req) error {
	if _, err := h.store.HeadBucket(q.ctx, q.bucket); err != nil {
		return fmt.Errorf("head bucket: %w", err)
	}
	return writeXML(w, http.StatusOK, ownerOnlyACL(q.owner()))
}

func (h *handler) getObjectACL(w *responseWriter, q *s3req) error {
	obj, err := h.store.OpenObject(q.ctx, q.bucket, q.key)
	if err != nil {
		return fmt.Errorf("open object: %w", err)
	}
	obj.Close()
	return writeXML(w, http.StatusOK, ownerOnlyACL(q.owner()))
}
