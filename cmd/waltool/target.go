package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/serverconfig"
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

// rootOptions turns the root flags into dataroot.Options: --config's keys
// first, then --slog-dir and --data-dirs over them. It returns the root
// the config names ([core] data_dir), for commands given no PATH.
func rootOptions(c *cli.Context) (dataroot.Options, string, error) {
	s := dataroot.ServerSettings{}
	root := ""
	if cfg := c.String("config"); cfg != "" {
		b, err := vfs.ReadFile(readOnlyFS, cfg, 16<<20)
		if err != nil {
			return dataroot.Options{}, "", fmt.Errorf("--config: %w", err)
		}
		conf, err := serverconfig.Parse(cfg, b, c.String("cargs"))
		if err != nil {
			return dataroot.Options{}, "", fmt.Errorf("--config: %w", err)
		}
		if root, s, err = dataroot.SettingsFromConfig(conf); err != nil {
			return dataroot.Options{}, "", fmt.Errorf("--config: %w", err)
		}
	}
	if c.IsSet("slog-dir") {
		s.SlogDir = dataroot.Setting{Value: c.String("slog-dir"), From: dataroot.FromFlag, Detail: "--slog-dir"}
	}
	if c.IsSet("data-dirs") {
		s.DataDirs = dataroot.Setting{Value: c.String("data-dirs"), From: dataroot.FromFlag, Detail: "--data-dirs"}
	}
	return dataroot.Options{Server: s, NoSlog: c.Bool("no-slog")}, root, nil
}

// rootPaths are a command's PATH arguments, or, with none and --config,
// the [core] data_dir the config names.
func rootPaths(c *cli.Context) ([]string, error) {
	if c.NArg() > 0 {
		return c.Args().Slice(), nil
	}
	if c.String("config") == "" {
		return nil, nil
	}
	_, root, err := rootOptions(c)
	if err != nil {
		return nil, err
	}
	return []string{root}, nil
}

// oneRoot is the single ROOT argument of a command, or --config's
// [core] data_dir when there is none.
func oneRoot(c *cli.Context) (string, error) {
	paths, err := rootPaths(c)
	if err != nil {
		return "", err
	}
	if len(paths) != 1 {
		return "", clikit.Usagef(c, "takes one ROOT (or --config), got %d arguments", len(paths))
	}
	return paths[0], nil
}

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

// resolve says what a PATH argument names (dataroot.Resolve, with the
// root flags). A PATH given with --config stands for its [core] data_dir.
func resolve(c *cli.Context, path string) (*dataroot.Target, error) {
	opts, root, err := rootOptions(c)
	if err != nil {
		return nil, err
	}
	if c.String("config") != "" && path != root {
		opts.Server.RootFrom = dataroot.Setting{Value: path, From: dataroot.FromPath, Detail: "ROOT"}
	} else if c.String("config") != "" {
		opts.Server.RootFrom.Value = path
	}
	return dataroot.Resolve(cancelFS(c.Context, readOnlyFS), path, opts)
}

// onePathFiles resolves the single PATH argument of a command (or the root
// of --config) and returns its log files.
func onePathFiles(c *cli.Context) (*dataroot.Target, []format.LogFile, error) {
	paths, err := rootPaths(c)
	if err != nil {
		return nil, nil, err
	}
	if len(paths) != 1 {
		return nil, nil, clikit.Usagef(c, "takes one PATH (or --config), got %d arguments", len(paths))
	}
	t, err := resolve(c, paths[0])
	if err != nil {
		return nil, nil, err
	}
	return t, t.Files(), nil
}

// printDirs prints the "dirs:" header of a data root: the slog dir and
// each data dir, where each came from, and the state of one not read.
func printDirs(w io.Writer, src dataroot.Sources) {
	line := func(head string, d dataroot.DirSource) {
		tag := ""
		if d.Tag != "" {
			tag = d.Tag + ":"
		}
		fmt.Fprintf(w, "%s %s%s (%s", head, tag, d.Path, d.From)
		if d.Detail != "" {
			fmt.Fprintf(w, ": %s", d.Detail)
		}
		fmt.Fprint(w, ")")
		if d.State != "" {
			fmt.Fprintf(w, " %s", strings.ToUpper(d.State))
		}
		fmt.Fprintln(w)
	}
	head := "dirs:"
	if src.Root.Path != "" {
		line("dirs: root", src.Root)
		head = "     "
	}
	line(head+" slog", src.SlogDir)
	for _, d := range src.DataDirs {
		line("      data", d)
	}
	for _, d := range src.BlackListed {
		d.State = "not loaded"
		line("      data", d)
	}
}

// dirFindings prints, for a data root, the dirs header and the findings
// about the dirs themselves (a slog or data dir missing or unreadable) on
// w, and reports whether one of them is fatal: commands that read a root
// without reporting on it (dump) still say what they could not read.
func dirFindings(w io.Writer, t *dataroot.Target) []finding.Finding {
	if t.Root == nil || t.Root.Path == "" {
		return nil
	}
	printDirs(w, t.Root.Sources)
	var fs []finding.Finding
	for _, f := range t.Root.Findings {
		if f.Gpid == nil && (f.Path == t.Root.SlogDir || isDataDir(t.Root, f.Path)) {
			printFinding(w, f)
			fs = append(fs, f)
		}
	}
	return fs
}

func isDataDir(r *dataroot.Root, p string) bool {
	for _, d := range r.DataDirs {
		if d.Path == p {
			return true
		}
	}
	return false
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
