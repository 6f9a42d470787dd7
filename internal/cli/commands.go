package cli

// commandTable lists the subcommands in the order `gatehouse help` shows
// them. To add a subcommand, write its type in its own file and add one
// line here.
func commandTable() []commandInfo {
	return []commandInfo{
		{"serve", "run the S3 gateway", func() command { return &serveCmd{} }},
		{"bench", "measure gatehouse against a plain net/http baseline", func() command { return &benchCmd{} }},
		{"bench-baseline", "the baseline server bench starts (internal)",
			func() command { return &benchBaselineCmd{} }},
		{"apikey", "create, list or delete API keys on a server",
			func() command { return &apikeyCmd{} }},
		{"access", "inspect, restrict, register or revoke access grants",
			func() command { return &accessCmd{} }},
		{"version", "print the version and build information", func() command { return &versionCmd{} }},
		{"help", "show help for gatehouse or one of its commands", func() command { return &helpCmd{} }},
	}
}

// commandInfo is one row of the command table.
type commandInfo struct {
	name    string
	summary string // one line, lower case, for the command list
	new     func() command
}

func lookup(name string) (commandInfo, bool) {
	for _, c := range commandTable() {
		if c.name == name {
			return c, true
		}
	}
	return commandInfo{}, false
}
