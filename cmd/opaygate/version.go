package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set at build time by release builds, the Dockerfile and CI:
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=$(git rev-parse HEAD)" ./cmd/opaygate
//
// Without them, buildVersion falls back to what the Go toolchain recorded.
var (
	version string
	commit  string
)

const versionUsage = `Usage: opaygate version

Prints the version and the commit the binary was built from (also --version).

Example:

	opaygate version
`

// buildVersion is the binary's version and commit: the stamped ones, else
// the module version of 'go install …@v1.2.3' and the revision 'go build'
// records in a git checkout ("-dirty" when it had uncommitted changes), else
// "devel" and "unknown".
func buildVersion() (v, c string) {
	v, c = version, commit
	info, ok := debug.ReadBuildInfo()
	if ok && v == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	if ok && c == "" {
		dirty := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				c = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if c != "" && dirty {
			c += "-dirty"
		}
	}
	if v == "" {
		v = "devel"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}

func (c *CLI) version(ctx context.Context, args []string) error {
	fs := c.newFlagSet("version", versionUsage)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, rest); err != nil {
		return err
	}
	v, rev := buildVersion()
	fmt.Fprintf(c.Stdout, "opaygate %s (commit %s, %s %s/%s)\n", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
