package main

import (
	"runtime/debug"

	"github.com/waltool/waltool/internal/clikit"
)

// The program's own words in the help, the man page and the completion
// (internal/clikit prints them).
func init() {
	clikit.Examples, clikit.Placeholders, clikit.ExitStatuses = examples, placeholders, exitStatuses
	clikit.ManVersion = func() string { bi, _ := debug.ReadBuildInfo(); return versionName(releaseVersion, bi) }
}

// examples are each command's EXAMPLES, by its name under waltool ("" is
// waltool itself): real command lines an operator can start from.
var examples = map[string][]string{
	"": {
		"waltool verify --config /etc/pegasus/config.ini",
		"waltool help migrate upgrade",
	},
	"dump": {
		"waltool dump -d /data/pegasus/replica/reps/1.4.pegasus/plog/log.2.0",
		"waltool dump --json --gpid 1.4 --from-decree 100 /data/pegasus",
	},
	"verify": {
		"waltool verify --config /etc/pegasus/config.ini",
		"waltool verify --json /data/pegasus/replica/reps/1.4.pegasus",
	},
	"replay": {
		"waltool replay --server-version 2.6 --config /etc/pegasus/config.ini",
		"waltool replay /data/pegasus --emit 1.4 -d",
	},
	"gc": {
		"waltool gc --rule 2.5 --check --server-address 10.0.0.5 --config config.ini",
		"waltool gc --log all --apply --trash /data/gc-trash --config config.ini",
	},
	"migrate": {
		"waltool migrate upgrade --config /etc/pegasus/config.ini",
		"waltool migrate status /data/pegasus",
	},
	"migrate upgrade": {
		"waltool migrate upgrade --config /etc/pegasus/config.ini",
		"waltool migrate upgrade --config /etc/pegasus/config.ini --apply",
	},
	"migrate downgrade": {
		"waltool migrate downgrade --to 2.5 --config /etc/pegasus/config.ini",
		"waltool migrate downgrade --to 2.3 --apply --config config.ini",
	},
	"migrate resume":   {"waltool migrate resume --config /etc/pegasus/config.ini"},
	"migrate rollback": {"waltool migrate rollback --config /etc/pegasus/config.ini"},
	"migrate status":   {"waltool migrate status --json /data/pegasus"},
	"fixtures":         {"waltool fixtures gen --out /tmp/sample"},
	"fixtures gen": {
		"waltool fixtures gen --out /tmp/sample --mutations 100000 --disks 2",
		"waltool fixtures gen --out /tmp/damaged --corrupt bitflip",
	},
	"demo":          {"waltool demo", "waltool demo --keep"},
	"bench":         {"waltool bench verify /data/pegasus"},
	"bench verify":  {"waltool bench verify --runs 5 /data/pegasus"},
	"bench ceiling": {"waltool bench ceiling --json /data/pegasus"},
	"bench replay":  {"waltool bench replay --server-version 2.4 /data/pegasus"},
	"schema": {
		"waltool schema migrate upgrade > migrate-upgrade.schema.json",
		"waltool schema vocabulary | jq -r '.keys | keys[]'",
	},
	"completion":      {"waltool completion bash > /etc/bash_completion.d/waltool"},
	"completion bash": {"waltool completion bash > /etc/bash_completion.d/waltool"},
	"completion zsh":  {"waltool completion zsh > /usr/local/share/zsh/site-functions/_waltool"},
	"completion fish": {"waltool completion fish > ~/.config/fish/completions/waltool.fish"},
	"man":             {"waltool man > /usr/local/share/man/man1/waltool.1", "waltool man | man -l -"},
	"bench write": {
		"waltool bench write --dirs /ssd0/tmp,/ssd1/tmp --duration 30s",
		"waltool bench write --modes plog-parallel,raw-rounds --sync none",
	},
}

// placeholders name what a flag takes, where its type does not say it.
var placeholders = map[string]string{
	"config": "FILE", "cargs": "'K=V;...'", "slog-dir": "DIR", "data-dirs": "LIST", "durable-decrees": "FILE",
	"server-version": "VERSION", "to": "VERSION", "emit": "GPID", "gpid": "GPID", "log": "slog|plog|all",
	"rule": "2.4|2.5", "now": "TIME", "dup-confirmed": "GPID=DECREE", "trash": "DIR", "slog-archive": "DIR",
	"out": "DIR", "corrupt": "KIND", "dirs": "DIRS", "sync": "none|batch", "modes": "MODES",
	"flush": "syncfs|fdatasync", "etcd-bin": "FILE", "server-address": "IP[:PORT]",
}

// exitStatuses are the exit statuses every command shares
// (docs/commands.md), for the man page.
var exitStatuses = []clikit.ExitStatus{
	{Code: exitOK, What: "Done: nothing that Pegasus would refuse, and nothing lost."},
	{Code: exitFindings, What: "Findings: corruption, a replica Pegasus would not open, data a server version would lose, " +
		"a CHECK that aborts the server, a malformed write payload (dump -d), a slog or data dir that is missing; " +
		"gc --check: a replica holds a file back."},
	{Code: exitUsage, What: "Usage error, unreadable input, I/O error: the command could not do its job, " +
		"or its answer is incomplete."},
	{Code: exitInterrupted, What: "Interrupted by SIGINT or SIGTERM: the command stopped and removed what it was creating; " +
		"nothing it reads is ever changed."},
}
