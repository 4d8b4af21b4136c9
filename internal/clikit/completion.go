package clikit

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// The completion scripts ask waltool itself for the candidates (complete.go):
// they follow the binary they call, normalizeArgs's flags after PATH
// included, and leave file names to the shell.
var completionScripts = []struct {
	shell, install, script string
}{
	{"bash", `For every user (the bash-completion package reads the dir):
  waltool completion bash > /etc/bash_completion.d/waltool
or for yourself, in ~/.bashrc:
  source <(waltool completion bash)`, bashCompletion},
	{"zsh", `For every user (any dir of $fpath, the file named _waltool):
  waltool completion zsh > /usr/local/share/zsh/site-functions/_waltool
or for yourself, in ~/.zshrc after compinit:
  source <(waltool completion zsh)`, zshCompletion},
	{"fish", `For every user:
  waltool completion fish > /etc/fish/completions/waltool.fish
or for yourself:
  waltool completion fish > ~/.config/fish/completions/waltool.fish`, fishCompletion},
}

func CompletionCommand() *cli.Command {
	desc := "The script completes commands, subcommands and flags (after PATH too) by\n" +
		"asking the waltool it runs, and file names for PATH and flag values.\n" +
		"Install it once, then open a new shell."
	var subs []*cli.Command
	for _, s := range completionScripts {
		desc += "\n\n" + s.shell + ": " + lowerFirst(s.install)
		subs = append(subs, &cli.Command{
			Name:        s.shell,
			Usage:       "print the " + s.shell + " completion script",
			Description: "Install it once, then open a new shell. " + s.install,
			Action: func(c *cli.Context) error {
				if c.Args().Present() {
					return Usagef(c, "unexpected argument %q", c.Args().First())
				}
				_, err := fmt.Fprint(c.App.Writer, s.script)
				return err
			},
		})
	}
	return &cli.Command{
		Name:        "completion",
		Usage:       "print a shell completion script: bash, zsh or fish",
		Description: desc,
		Subcommands: subs,
		// Not the help on stdout: it would end up in a completion file.
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return Usagef(c, "unknown shell %q: bash, zsh or fish", c.Args().First())
			}
			return Usagef(c, "which shell? bash, zsh or fish")
		},
	}
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

const bashCompletion = `# bash completion for waltool (waltool completion bash)

# _waltool sends waltool the words before the cursor, the word being
# completed and --generate-bash-completion, and offers what it prints;
# when it prints nothing, bash completes file names.
_waltool() {
	local line=${COMP_LINE:0:COMP_POINT} cur=""
	local -a words
	read -r -a words <<<"$line"
	if [[ $line != *[[:space:]] ]] && ((${#words[@]} > 1)); then
		cur=${words[${#words[@]}-1]}
		words=("${words[@]:0:${#words[@]}-1}")
	fi
	while ((${#words[@]} > 1)) && [[ ${words[0]} =~ ^[A-Za-z_][A-Za-z0-9_]*= ]]; do
		words=("${words[@]:1}")
	done
	local cmd=${words[0]}
	[[ $cmd == "~/"* ]] && cmd=$HOME/${cmd#"~/"}
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("$cmd" "${words[@]:1}" "$cur" --generate-bash-completion 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
}
complete -o bashdefault -o default -F _waltool waltool
`

const zshCompletion = `#compdef waltool
# zsh completion for waltool (waltool completion zsh)

# _waltool sends waltool the words before the cursor, the word being
# completed and --generate-bash-completion, and offers what it prints
# (name:description); when it prints nothing, zsh completes file names.
_waltool() {
	local -a args out
	args=("${(@Q)words[1,CURRENT-1]}")
	args[1]=${args[1]/#\~/$HOME}
	out=("${(@f)$(WALTOOL_COMPLETE=zsh "${(@)args}" "${(Q)words[CURRENT]}" --generate-bash-completion 2>/dev/null)}")
	out=("${(@)out:#}")
	if (( ${#out} )); then
		_describe -t waltool waltool out
	else
		_files
	fi
}

if [[ $funcstack[1] == _waltool ]]; then
	_waltool "$@"
else
	compdef _waltool waltool
fi
`

const fishCompletion = `# fish completion for waltool (waltool completion fish)

# __waltool_complete sends waltool the words before the cursor, the word
# being completed and --generate-bash-completion, and offers what it prints
# (name<TAB>description); when it prints nothing, file names.
function __waltool_complete
	set -l args (commandline -opc)
	set -l cur (commandline -ct)
	set args[1] (string replace -r '^~/' "$HOME/" -- $args[1])
	set -l out (env WALTOOL_COMPLETE=fish $args "$cur" --generate-bash-completion 2>/dev/null)
	if set -q out[1]
		printf '%s\n' $out
	else
		__fish_complete_path "$cur"
	end
end

complete -c waltool -f -a '(__waltool_complete)'
`
