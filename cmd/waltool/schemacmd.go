package main

import (
	"fmt"
	"io/fs"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/schema"
)

func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:      "schema",
		Usage:     "print the JSON Schema of a command's --json output (the machine contract, " + schema.Version + ")",
		ArgsUsage: "[COMMAND...]",
		Description: "Without COMMAND, lists the schema files. waltool schema gc prints gc's schema, waltool schema " +
			"defs the shapes every command shares, waltool schema vocabulary every key with its type and " +
			"meaning. See docs/json.md.",
		Action: func(c *cli.Context) error {
			names, err := fs.Glob(schema.Files, "v1/*.json")
			if err != nil {
				return err
			}
			if c.NArg() == 0 {
				for _, n := range names {
					fmt.Fprintln(c.App.Writer, strings.ReplaceAll(schemaName(n), "-", " "))
				}
				return nil
			}
			want := strings.Join(strings.Fields(strings.Join(c.Args().Slice(), " ")), "-")
			for _, n := range names {
				if schemaName(n) == want {
					b, err := fs.ReadFile(schema.Files, n)
					if err != nil {
						return err
					}
					_, err = c.App.Writer.Write(b)
					return err
				}
			}
			return clikit.Usagef(c, "no schema for %q: `waltool schema` lists them", strings.Join(c.Args().Slice(), " "))
		},
	}
}

// schemaName is a schema file's name without its dir and suffixes:
// "migrate-upgrade".
func schemaName(file string) string {
	return strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(file, "v1/"), ".json"), ".schema")
}
