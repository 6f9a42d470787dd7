package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"text/tabwriter"
	"time"
)

// apikeyCmd manages API keys over the admin API: create, list, delete.
type apikeyCmd struct{}

const apikeyAbout = `
Manage API keys, the root capabilities grants derive from, over the admin
API of a running 'gatehouse serve'.

Verbs:
  create [flags] NAME   create an API key and print its ID and root grant
  list [flags]          list API keys (ID, project, name, created)
  delete [flags] ID     delete an API key, revoking every grant derived from it

The admin endpoint comes from --admin-url or $GATEHOUSE_ADMIN_URL
(default http://127.0.0.1:7702). The admin credential comes from
$GATEHOUSE_ADMIN_ACCESS_KEY and $GATEHOUSE_ADMIN_SECRET_KEY, or from
<data>/admin.credentials (--data, default ./gatehouse-data).
`

// Run implements command.
func (c *apikeyCmd) Run(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "apikey: no verb given; want create, list or delete",
			hint: "gatehouse apikey --help"}
	}
	switch verb, rest := args[0], args[1:]; verb {
	case "create":
		return c.create(ctx, env, rest)
	case "list":
		return c.list(ctx, env, rest)
	case "delete":
		return c.delete(ctx, env, rest)
	case "-h", "-help", "--help":
		newFlags("apikey", "<create|list|delete> [flags] [ARG]", apikeyAbout).
			printHelp(env.Stdout)
		return flag.ErrHelp
	default:
		return &usageError{msg: fmt.Sprintf("apikey: unknown verb %q", verb),
			hint: "gatehouse apikey --help"}
	}
}

// parseOneArg parses f and wants exactly one positional argument, named
// what in the error.
func parseOneArg(env Env, f *flags, args []string, what string) (string, error) {
	hint := "gatehouse " + f.Name() + " --help"
	err := f.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		f.printHelp(env.Stdout)
		return "", err
	case err != nil:
		return "", &usageError{msg: f.Name() + ": " + err.Error(), hint: hint}
	case f.NArg() != 1:
		return "", &usageError{msg: f.Name() + ": want one " + what +
			" (flags go before it)", hint: hint}
	}
	return f.Arg(0), nil
}

func (c *apikeyCmd) create(ctx context.Context, env Env, args []string) error {
	f := newFlags("apikey create", "[flags] NAME",
		"Create an API key and print its ID and its root grant. Keep the grant secret.")
	o := addAdminFlags(f)
	name, err := parseOneArg(env, f, args, "NAME")
	if err != nil {
		return err
	}
	cl, err := o.client(env)
	if err != nil {
		return fmt.Errorf("apikey create: %w", err)
	}
	var out struct {
		ID    string `json:"api_key_id"`
		Grant string `json:"grant"`
	}
	err = cl.call(ctx, "apikey create", "POST", "/v1/apikeys",
		map[string]string{"name": name}, &out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "api_key_id: %s\ngrant: %s\n", out.ID, out.Grant)
	return err
}

// apiKeyRow is one API key as the admin API lists it.
type apiKeyRow struct {
	ID        string    `json:"api_key_id"`
	ProjectID string    `json:"project_id"`
	Name      string    `json:"name"`
	Created   time.Time `json:"created"`
}

func (c *apikeyCmd) list(ctx context.Context, env Env, args []string) error {
	f := newFlags("apikey list", "[flags]", "List API keys. No secret is shown.")
	o := addAdminFlags(f)
	asJSON := f.Bool("json", false, "print the admin API's JSON")
	if err := f.parse(env, args); err != nil {
		return err
	}
	cl, err := o.client(env)
	if err != nil {
		return fmt.Errorf("apikey list: %w", err)
	}
	var out struct {
		Keys []apiKeyRow `json:"api_keys"`
	}
	if err := cl.call(ctx, "apikey list", "GET", "/v1/apikeys", nil, &out); err != nil {
		return err
	}
	if *asJSON {
		b, err := json.MarshalIndent(out.Keys, "", "  ")
		if err != nil {
			return fmt.Errorf("apikey list: %w", err)
		}
		_, err = fmt.Fprintf(env.Stdout, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "API KEY ID\tPROJECT\tNAME\tCREATED")
	for _, k := range out.Keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.ProjectID, k.Name,
			k.Created.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

func (c *apikeyCmd) delete(ctx context.Context, env Env, args []string) error {
	f := newFlags("apikey delete", "[flags] ID",
		"Delete an API key. Every grant derived from it stops working.")
	o := addAdminFlags(f)
	id, err := parseOneArg(env, f, args, "API key ID")
	if err != nil {
		return err
	}
	cl, err := o.client(env)
	if err != nil {
		return fmt.Errorf("apikey delete: %w", err)
	}
	return cl.call(ctx, "apikey delete", "DELETE", "/v1/apikeys/"+url.PathEscape(id), nil, nil)
}
