package cli

import (
	"context"
	"fmt"
	"net/url"
)

// The access verbs that need the admin API: register, revoke, unregister.

const registerAbout = `
Register an access grant with the server and print S3 credentials for it:
an access key ID, a secret key and the endpoint. With --format env the
output is shell export lines; with --format aws it is a profile for an
AWS credentials file. --public marks a credential public links may use
without its secret. The grant is read from the argument or stdin ("-").
`

func (c *accessCmd) register(ctx context.Context, env Env, args []string) error {
	f := newFlags("access register", "[flags] [GRANT | -]", registerAbout)
	o := addAdminFlags(f)
	public := f.Bool("public", false, "allow public links to use the credential")
	format := f.String("format", "text", "output `format`: text, env or aws")
	profile := f.String("profile", "gatehouse", "profile `name` for --format aws")
	g, err := parseGrantArgs(env, f, args)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "env" && *format != "aws" {
		return &usageError{msg: fmt.Sprintf("access register: unknown --format %q; "+
			"want text, env or aws", *format), hint: "gatehouse access register --help"}
	}
	s, err := g.Serialize()
	if err != nil {
		return fmt.Errorf("access register: %w", err)
	}
	cl, err := o.client(env)
	if err != nil {
		return fmt.Errorf("access register: %w", err)
	}
	var out struct {
		ID       string `json:"access_key_id"`
		Secret   string `json:"secret_key"`
		Endpoint string `json:"endpoint"`
	}
	err = cl.call(ctx, "access register", "POST", "/v1/access",
		map[string]any{"access_grant": s, "public": *public}, &out)
	if err != nil {
		return err
	}
	return printRegistered(env, *format, *profile, out.ID, out.Secret, out.Endpoint)
}

// printRegistered writes a registered credential in format.
func printRegistered(env Env, format, profile, id, secret, endpoint string) error {
	var err error
	switch format {
	case "env":
		_, err = fmt.Fprintf(env.Stdout, "export AWS_ACCESS_KEY_ID=%s\n"+
			"export AWS_SECRET_ACCESS_KEY=%s\nexport AWS_ENDPOINT_URL=%s\n",
			id, secret, endpoint)
	case "aws":
		_, err = fmt.Fprintf(env.Stdout, "[%s]\naws_access_key_id = %s\n"+
			"aws_secret_access_key = %s\nendpoint_url = %s\n", profile, id, secret, endpoint)
	default:
		_, err = fmt.Fprintf(env.Stdout, "Access key ID: %s\nSecret key:    %s\n"+
			"Endpoint:      %s\n", id, secret, endpoint)
	}
	return err
}

const revokeAbout = `
Revoke an access grant, and with it every grant derived from it. It takes
effect on the server from the next request. The grant is read from the
argument or stdin ("-").
`

func (c *accessCmd) revoke(ctx context.Context, env Env, args []string) error {
	f := newFlags("access revoke", "[flags] [GRANT | -]", revokeAbout)
	o := addAdminFlags(f)
	g, err := parseGrantArgs(env, f, args)
	if err != nil {
		return err
	}
	s, err := g.Serialize()
	if err != nil {
		return fmt.Errorf("access revoke: %w", err)
	}
	cl, err := o.client(env)
	if err != nil {
		return fmt.Errorf("access revoke: %w", err)
	}
	return cl.call(ctx, "access revoke", "POST", "/v1/access/revoke",
		map[string]string{"access_grant": s}, nil)
}

func (c *accessCmd) unregister(ctx context.Context, env Env, args []string) error {
	f := newFlags("access unregister", "[flags] ACCESS_KEY_ID",
		"Unregister an S3 access key ID. The grant behind it stays valid.")
	o := addAdminFlags(f)
	id, err := parseOneArg(env, f, args, "ACCESS_KEY_ID")
	if err != nil {
		return err
	}
	cl, err := o.client(env)
	if err != nil {
		return fmt.Errorf("access unregister: %w", err)
	}
	return cl.call(ctx, "access unregister", "DELETE", "/v1/access/"+url.PathEscape(id),
		nil, nil)
}
