// Package admin serves Gatehouse's administration API: JSON over HTTP for
// API keys and registered S3 credentials.
//
// # Threat model
//
// The admin API mints and revokes credentials, so every request must be
// signed with AWS Signature Version 4 by the administrator credential and
// nothing else: anonymous requests, presigned URLs, other keys (including
// registered customer credentials) and unsigned payloads get 403. Because
// the payload hash is signed and checked, a captured request cannot be
// replayed with another body. Request bodies are bounded (64 KiB). Grants,
// API key secrets and S3 secret keys are never logged and never appear in
// error messages; only a response to the administrator carries them.
//
// # Endpoints
//
//	POST   /v1/apikeys               {name} -> 201 {api_key_id, grant}
//	GET    /v1/apikeys               -> 200 {api_keys: [{api_key_id, project_id, name, created}]}
//	DELETE /v1/apikeys/{id}          -> 204
//	POST   /v1/access                {access_grant, public} -> 201
//	                                   {access_key_id, secret_key, endpoint}
//	POST   /v1/access/revoke         {access_grant} -> 204
//	DELETE /v1/access/{access_key_id} -> 204
//
// Errors are {"error": "..."} with a 4xx or 5xx status.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/auth/static"
	"gatehouse.dev/gatehouse/grant"
	"gatehouse.dev/gatehouse/registry"
	"gatehouse.dev/gatehouse/sigv4"
)

// MaxBody is the largest request body the admin API reads.
const MaxBody = 64 << 10

// Config configures the admin API handler.
type Config struct {
	// Registry holds API keys and credentials. Required.
	Registry *registry.Registry
	// Admin is the only credential allowed to call the API. Required.
	Admin gatehouse.Credential
	// Region is the region requests must be signed for.
	Region string
	// Endpoint is the S3 endpoint URL written into grants and returned
	// with registered credentials.
	Endpoint string
	// Logger receives request failures; nil discards them.
	Logger *slog.Logger
	// Now is the clock for signature skew; nil means time.Now.
	Now func() time.Time
}

type handler struct {
	cfg    Config
	verify *sigv4.Verifier
	mux    *http.ServeMux
	log    *slog.Logger
}

// New returns the admin API handler for c.
func New(c Config) http.Handler {
	h := &handler{cfg: c, log: c.Logger, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.verify = &sigv4.Verifier{Credentials: static.New(c.Admin), Region: c.Region, Now: c.Now}
	h.mux.HandleFunc("POST /v1/apikeys", h.createAPIKey)
	h.mux.HandleFunc("GET /v1/apikeys", h.listAPIKeys)
	h.mux.HandleFunc("DELETE /v1/apikeys/{id}", h.deleteAPIKey)
	h.mux.HandleFunc("POST /v1/access", h.register)
	h.mux.HandleFunc("POST /v1/access/revoke", h.revoke)
	h.mux.HandleFunc("DELETE /v1/access/{id}", h.unregister)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint or method")
	})
	return h
}

// hashedPayload is a hex SHA-256 in x-amz-content-sha256: the body is
// signed, not UNSIGNED-PAYLOAD or streaming.
var hashedPayload = regexp.MustCompile(`\A[0-9a-f]{64}\z`)

// ServeHTTP authenticates r as the administrator and routes it.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !hashedPayload.MatchString(r.Header.Get("X-Amz-Content-Sha256")) {
		writeError(w, http.StatusForbidden,
			"requests must be signed with SigV4 and a hashed payload")
		return
	}
	auth, err := h.verify.Verify(r)
	if err != nil {
		var ge *gatehouse.Error
		if errors.As(err, &ge) && ge.Status < 500 {
			writeError(w, http.StatusForbidden, "authentication failed: "+ge.Code)
			return
		}
		h.fail(w, r, "authenticate", err)
		return
	}
	if auth.Anonymous || auth.Presigned || auth.Credential == nil ||
		auth.Credential.AccessKeyID != h.cfg.Admin.AccessKeyID {
		writeError(w, http.StatusForbidden, "only the administrator credential may call")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	h.mux.ServeHTTP(w, r)
}

func (h *handler) createAPIKey(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.Name == "" || len(req.Name) > 256 {
		writeError(w, http.StatusBadRequest, "name: want 1 to 256 bytes")
		return
	}
	m, err := h.cfg.Registry.CreateAPIKey(r.Context(), req.Name)
	if err != nil {
		h.fail(w, r, "create api key", err)
		return
	}
	s, err := grant.Grant{Macaroon: m, Endpoint: h.cfg.Endpoint}.Serialize()
	if err != nil {
		h.fail(w, r, "serialize grant", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{
		"api_key_id": grant.APIKeyID(m.Head()), "grant": s})
}

// apiKey is the JSON of a registry.APIKey.
type apiKey struct {
	ID        string    `json:"api_key_id"`
	ProjectID string    `json:"project_id"`
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
}

func (h *handler) listAPIKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := h.cfg.Registry.ListAPIKeys(r.Context())
	if err != nil {
		h.fail(w, r, "list api keys", err)
		return
	}
	out := make([]apiKey, 0, len(keys))
	for _, k := range keys {
		out = append(out, apiKey{ID: k.ID, ProjectID: k.ProjectID, Name: k.Name,
			Created: k.Created.UTC()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"api_keys": out})
}

func (h *handler) deleteAPIKey(w http.ResponseWriter, r *http.Request) {
	err := h.cfg.Registry.DeleteAPIKey(r.Context(), r.PathValue("id"))
	if errors.Is(err, registry.ErrUnknownAPIKey) {
		writeError(w, http.StatusNotFound, "no such api key")
		return
	}
	if err != nil {
		h.fail(w, r, "delete api key", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) register(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Grant  string `json:"access_grant"`
		Public bool   `json:"public"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	g, ok := parseGrant(w, req.Grant)
	if !ok {
		return
	}
	id, secret, err := h.cfg.Registry.Register(r.Context(), g, req.Public)
	if err != nil {
		h.grantError(w, r, "register", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{
		"access_key_id": string(id), "secret_key": secret, "endpoint": h.cfg.Endpoint})
}

func (h *handler) revoke(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Grant string `json:"access_grant"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	g, ok := parseGrant(w, req.Grant)
	if !ok {
		return
	}
	if err := h.cfg.Registry.Revoke(r.Context(), g); err != nil {
		h.grantError(w, r, "revoke", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *handler) unregister(w http.ResponseWriter, r *http.Request) {
	id := gatehouse.AccessKeyID(r.PathValue("id"))
	err := h.cfg.Registry.Unregister(r.Context(), id)
	if errors.Is(err, gatehouse.ErrInvalidAccessKeyID) {
		writeError(w, http.StatusNotFound, "no such access key")
		return
	}
	if err != nil {
		h.fail(w, r, "unregister", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// parseGrant parses s, answering 400 if it is not a grant. The error
// never quotes the grant.
func parseGrant(w http.ResponseWriter, s string) (grant.Grant, bool) {
	if s == "" {
		writeError(w, http.StatusBadRequest, "access_grant: required")
		return grant.Grant{}, false
	}
	g, err := grant.Parse(s)
	if err != nil {
		writeError(w, http.StatusBadRequest, "access_grant: not a valid access grant")
		return grant.Grant{}, false
	}
	return g, true
}

// grantError answers for a registry error about a grant the caller sent.
func (h *handler) grantError(w http.ResponseWriter, r *http.Request, op string, err error) {
	switch {
	case errors.Is(err, registry.ErrUnknownAPIKey):
		writeError(w, http.StatusForbidden, op+": the grant's api key does not exist")
	case errors.Is(err, grant.ErrInvalidMacaroon):
		writeError(w, http.StatusForbidden, op+": the grant does not verify")
	case errors.Is(err, gatehouse.ErrInvalidAccessKeyID):
		writeError(w, http.StatusForbidden, op+": the grant was revoked")
	case errors.Is(err, registry.ErrExpiresTooSoon):
		writeError(w, http.StatusBadRequest, op+": the grant expires too soon")
	default:
		h.fail(w, r, op, err)
	}
}

// readJSON decodes the body into v, answering 400 or 413 on failure.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("request body exceeds %d bytes", MaxBody))
		return false
	case err != nil:
		writeError(w, http.StatusForbidden, "request body does not match its signature")
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, "request body: want a JSON object")
		return false
	}
	return true
}

// fail answers 500 and logs err, which holds no secret: registry and
// grant errors name IDs, never keys.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, op string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	h.log.Error("admin api", "op", op, "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, op+": internal error")
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
