package s3api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/checksum"
)

// deleteRequest is the body of DeleteObjects.
type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool
	Objects []struct {
		Key       string
		VersionID string `xml:"VersionId"`
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ DeleteResult"`
	Deleted []deletedEntry  `xml:"Deleted"`
	Errors  []deleteFailure `xml:"Error"`
}

type deletedEntry struct {
	Key string
}

type deleteFailure struct {
	Key     string
	Code    string
	Message string
}

// deleteObjects answers DeleteObjects: up to 1,000 keys, each authorized
// and deleted on its own, with per-key errors in the result. The body
// must carry Content-MD5 or an additional checksum, which is verified.
func (h *handler) deleteObjects(w *responseWriter, q *s3req) error {
	if err := requireBodyChecksum(q.r.Header); err != nil {
		return err
	}
	var req deleteRequest
	if err := readXML(q, maxDeleteXML, &req); err != nil {
		if errors.Is(err, io.EOF) {
			return gatehouse.ErrMalformedXML
		}
		return err
	}
	if len(req.Objects) == 0 || len(req.Objects) > gatehouse.MaxDeleteObjects {
		return gatehouse.ErrMalformedXML.With("The XML you provided was not well-formed or "+
			"did not validate against our published schema: %d objects, limit %d",
			len(req.Objects), gatehouse.MaxDeleteObjects)
	}
	// A missing bucket fails the whole request, as in S3.
	if _, err := h.store.HeadBucket(q.ctx, q.bucket); err != nil {
		return fmt.Errorf("head bucket: %w", err)
	}

	res := deleteResult{}
	for _, o := range req.Objects {
		err := h.deleteOne(q, gatehouse.ObjectKey(o.Key), o.VersionID)
		switch {
		case err == nil && !req.Quiet:
			res.Deleted = append(res.Deleted, deletedEntry{Key: o.Key})
		case err != nil:
			if clientGone(q.ctx, err) {
				return err
			}
			e := classify(err)
			if e.Kind == gatehouse.KindInternal {
				h.log.Error("internal error", "request_id", q.id, "op", "DeleteObjects",
					"err", err.Error())
			}
			res.Errors = append(res.Errors, deleteFailure{Key: o.Key, Code: e.Code, Message: e.Message})
		}
	}
	return writeXML(w, http.StatusOK, res)
}

// requireBodyChecksum refuses a DeleteObjects request that carries
// neither Content-MD5 nor a checksum value, in an x-amz-checksum-*
// header or a trailer. The Amazon S3 API Reference (DeleteObjects)
// requires one; x-amz-sdk-checksum-algorithm names an algorithm but is no
// value, so it is not enough alone. aws-sdk-go-v2, botocore, minio-go,
// rclone and s3cmd all send one.
func requireBodyChecksum(h http.Header) error {
	e, err := checksum.ParseRequest(h)
	if err != nil {
		return fmt.Errorf("parse checksum headers: %w", err)
	}
	if e.ContentMD5 == "" && e.Value == "" && !e.FromTrailer {
		return gatehouse.ErrInvalidRequest.With(
			"Missing required header for this request: Content-MD5")
	}
	return nil
}

func (h *handler) deleteOne(q *s3req, k gatehouse.ObjectKey, version string) error {
	if err := checkNames(q.bucket, k); err != nil {
		return err
	}
	if k == "" {
		return gatehouse.ErrInvalidArgument.With("Object key must not be empty")
	}
	if version != "" && version != "null" {
		return errNoSuchVersion
	}
	if err := q.allow(gatehouse.ActionDelete, q.bucket, k); err != nil {
		return err
	}
	if err := h.store.DeleteObject(q.ctx, q.bucket, k); err != nil {
		return fmt.Errorf("delete object %q: %w", k, err)
	}
	return nil
}
