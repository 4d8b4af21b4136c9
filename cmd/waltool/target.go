package main

import (
	"bytes"
	"encoding/json"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/vfs"
)

// rootFlags locate the parts of a data root that can live elsewhere, with
// the server's own config and the meaning of its keys.
func rootFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "the replica server's config.ini: [core] data_dir is the root (when no PATH is given), [replication] slog_dir, data_dirs and data_dirs_black_list_file place the dirs, as the server derives them"},
		&cli.StringFlag{Name: "cargs", Usage: "the server's -cargs 'k1=v1;k2=v2': fills %k1% (and the deployment's %{k1}) in --config"},
		&cli.StringFlag{Name: "slog-dir", Usage: "[replication] slog_dir: the slog is SLOG_DIR/replica/slog (a dir that itself holds log files is read as the slog); overrides --config"},
		&cli.StringFlag{Name: "data-dirs", Usage: "[replication] data_dirs, tag:/path,tag2:/path2 (each path holding replica/reps), or plain paths; overrides --config"},
		&cli.BoolFlag{Name: "no-slog", Usage: "this server has no slog (it never ran Pegasus <= 2.5): do not look for one"},
	}
}

// rootRefFlags are the root flags to pass on to a child waltool (bench).
var rootRefFlags = []string{"config", "cargs", "slog-dir", "data-dirs"}

// durableDecreesFlag is --durable-decrees, read by durableDecrees.
func durableDecreesFlag() cli.Flag {
	return &cli.StringFlag{Name: "durable-decrees", Usage: "JSON file mapping \"1.4\" to the app's durable decree (default: the largest data/checkpoint.<d>)"}
}

// durableDecrees reads --durable-decrees: a JSON object mapping "1.4" to
// the app's durable decree (a server that flushed since it stopped).
func durableDecrees(c *cli.Context) (map[gpid.Gpid]int64, error) {
	p := c.String("durable-decrees")
	if p == "" {
		return nil, nil
	}
	b, err := vfs.ReadFile(readOnlyFS, p, 64<<20)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.Number
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, clikit.Usagef(c, "--durable-decrees %s: want a JSON object of gpids and decrees, {\"1.4\": 1234, ...}", p)
	}
	m := make(map[gpid.Gpid]int64, len(raw))
	for k, v := range raw {
		g, err := gpid.Parse(k)
		if err != nil {
			return nil, clikit.Usagef(c, "--durable-decrees %s: %q is not a gpid (<app_id>.<partition_index>)", p, k)
		}
		d, err := v.Int64()
		if err != nil || d < 0 {
			return nil, clikit.Usagef(c, "--durable-decrees %s: %s: %q is not a decree (a whole number >= 0)", p, k, v)
		}
		m[g] = d
	}
	return m, nil
}

// readOnlyFS is what every read-only command reads its inputs through: a
// write through it is impossible by construction.
var readOnlyFS = vfs.ReadOnly(vfs.OS)

// writeFS is the filesystem commands that change a root write through;
// tests wrap it.
var writeFS vfs.FS = vfs.OS

// versionFlag reads a Pegasus version flag (--server-version, --to): 2.3
// to 2.6, a patch level or a leading v accepted.
func versionFlag(c *cli.Context, name string) (pegasus.Version, error) {
	v, err := pegasus.ParseVersion(c.String(name))
	if err != nil {
		return "", clikit.Usagef(c, "--%s: %v", name, err)
	}
	return v, nil
}
